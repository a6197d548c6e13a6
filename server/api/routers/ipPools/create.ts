import { adminProcedure } from '@/server/api/trpc';
import { createPool, getPool, PoolInput } from '@/server/services/ippools';
import { PoolOutput, toPoolOutput } from './schemas';

/** Creates a pool and its addresses, bound to a node group and/or nodes (admin). */
export const create = adminProcedure
  .input(PoolInput)
  .output(PoolOutput)
  .mutation(async ({ ctx, input }) => {
    const pool = await createPool(ctx.prisma, input);
    return toPoolOutput(await getPool(ctx.prisma, pool.id));
  });
