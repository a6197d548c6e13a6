import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listPools } from '@/server/services/ippools';
import { PoolOutput, toPoolOutput } from './schemas';

/** Every IP pool with its bindings and free/used counts (admin). */
export const list = adminProcedure.output(z.array(PoolOutput)).query(async ({ ctx }) => (await listPools(ctx.prisma)).map(toPoolOutput));
