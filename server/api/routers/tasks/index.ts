import { router } from '@/server/api/trpc';
import { list } from './list';
import { get } from './get';
import { watch } from './watch';

export const tasksRouter = router({ list, get, watch });
