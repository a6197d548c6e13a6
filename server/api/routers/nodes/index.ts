import { router } from '@/server/api/trpc';
import { list } from './list';
import { get } from './get';

export const nodesRouter = router({ list, get });
