import { router } from '@/server/api/trpc';
import { list } from './list';
import { get } from './get';
import { create } from './create';
import { update } from './update';
import { remove } from './remove';
import { setReserved } from './setReserved';

export const ipPoolsRouter = router({ list, get, create, update, remove, setReserved });
