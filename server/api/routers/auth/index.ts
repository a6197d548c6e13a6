import { router } from '@/server/api/trpc';
import { login } from './login';
import { verifyTotp } from './verifyTotp';
import { logout } from './logout';
import { me } from './me';
import { totpSetup } from './totpSetup';
import { totpEnable } from './totpEnable';
import { totpDisable } from './totpDisable';

export const authRouter = router({
  login,
  verifyTotp,
  logout,
  me,
  totp: router({ setup: totpSetup, enable: totpEnable, disable: totpDisable }),
});
