import { router } from '@/server/api/trpc';
import { list } from './list';
import { get } from './get';
import { create } from './create';
import { update } from './update';
import { setDisabled } from './setDisabled';
import { resetPassword } from './resetPassword';
import { remove } from './remove';

export const customersRouter = router({ list, get, create, update, setDisabled, resetPassword, remove });
