import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { myVeLocation } from '@/server/services/portal';
import { liveVeUsage } from '@/server/operations/ve/usage';
import { VeIdInput } from './schemas';

export const UsageOutput = z
  .object({
    running: z.boolean(),
    memBytes: z.number(),
    swapBytes: z.number(),
    numproc: z.number(),
    diskBytes: z.number(),
    diskLimitBytes: z.number().nullable(),
    diskInodes: z.number(),
  })
  .nullable()
  .describe('null when the node cannot be asked right now');

/** Live memory, process and disk use of one of the user's own VEs. */
export const usage = customerProcedure
  .input(VeIdInput)
  .output(UsageOutput)
  .query(async ({ ctx, input }) => {
    const ve = await myVeLocation(ctx.prisma, ctx.user, input.id);
    return liveVeUsage(ctx.prisma, ve.nodeId, ve.ctid);
  });
