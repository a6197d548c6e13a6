import { router } from '@/server/api/trpc';
import { login } from './login';
import { verifyTotp } from './verifyTotp';
import { logout } from './logout';
import { me } from './me';
import { totpSetup } from './totpSetup';
import { totpEnable } from './totpEnable';
import { totpDisable } from './totpDisable';
import { changePassword } from './changePassword';

export const authRouter = router({
  login,
  verifyTotp,
  logout,
  me,
  changePassword,
  totp: router({ setup: totpSetup, enable: totpEnable, disable: totpDisable }),
});
