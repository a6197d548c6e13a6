import { router } from '@/server/api/trpc';
import { list } from './list';
import { get } from './get';
import { create } from './create';

export const vesRouter = router({ list, get, create });
