import { router } from '@/server/api/trpc';
import { list } from './list';
import { create } from './create';
import { setDisabled } from './setDisabled';
import { setRole } from './setRole';
import { resetSecondFactor } from './resetSecondFactor';

/** Staff accounts and their roles: everyone on staff reads, owners change. */
export const staffRouter = router({ list, create, setDisabled, setRole, resetSecondFactor });
