import { router } from '@/server/api/trpc';
import { list } from './list';
import { get } from './get';
import { create } from './create';
import { update } from './update';

export const plansRouter = router({ list, get, create, update });
