import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { deletePool } from '@/server/services/ippools';
import { PoolIdInput } from './schemas';

/** Deletes a pool none of whose addresses a VE holds (CONFLICT with the count otherwise). */
export const remove = adminProcedure
  .input(PoolIdInput)
  .output(z.object({ id: z.string() }))
  .mutation(async ({ ctx, input }) => {
    await deletePool(ctx.prisma, input.id);
    return { id: input.id };
  });
