import { router } from '@/server/api/trpc';
import { list } from './list';
import { veHistory } from './veHistory';

/** Audit log: admin search; customers see the history of their own VEs. */
export const auditRouter = router({ list, veHistory });
