import { router } from '@/server/api/trpc';
import { list } from './list';
import { get } from './get';
import { create } from './create';

export const ipPoolsRouter = router({ list, get, create });
