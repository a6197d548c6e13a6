import { customerProcedure } from '@/server/api/trpc';
import { myVeLocation } from '@/server/services/portal';
import { BeancountersOutput, liveBeancounters } from '@/server/operations/ve/beancounters';
import { VeIdInput } from './schemas';

/** Beancounters of one of the user's own VEs, read from its node now. */
export const beancounters = customerProcedure
  .input(VeIdInput)
  .output(BeancountersOutput)
  .query(async ({ ctx, input }) => {
    const ve = await myVeLocation(ctx.prisma, ctx.user, input.id);
    return liveBeancounters(ctx.prisma, ve.nodeId, ve.ctid);
  });
