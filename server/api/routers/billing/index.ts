import { router } from '@/server/api/trpc';
import { catalog } from './catalog';
import { nodes } from './nodes';
import { ves } from './ves';

/** Billing REST (/api/v1, API-key auth); also callable over tRPC with a bearer key. */
export const billingRouter = router({ catalog, nodes, ves });
