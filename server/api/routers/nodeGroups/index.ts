import { router } from '@/server/api/trpc';
import { list } from './list';
import { create } from './create';
import { update } from './update';
import { remove } from './remove';
import { assign } from './assign';

export const nodeGroupsRouter = router({ list, create, update, remove, assign });
