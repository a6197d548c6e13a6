import { adminProcedure } from '@/server/api/trpc';
import { PoolPatch, updatePool } from '@/server/services/ippools';
import { PoolIdInput, PoolOutput, toPoolOutput } from './schemas';

/** Changes a pool's gateway, nameservers, node group or nodes (admin); its network stays. */
export const update = adminProcedure
  .input(PoolIdInput.extend({ patch: PoolPatch }))
  .output(PoolOutput)
  .mutation(async ({ ctx, input }) => toPoolOutput(await updatePool(ctx.prisma, input.id, input.patch)));
