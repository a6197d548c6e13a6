import { adminProcedure } from '@/server/api/trpc';
import { getVe } from '@/server/services/ves';
import { BeancountersOutput, liveBeancounters } from '@/server/operations/ve/beancounters';
import { VeIdInput } from './actionSchemas';

/** The VE's beancounters (held, maxheld, barrier, limit, failcnt), read from its node now (admin). */
export const beancounters = adminProcedure
  .input(VeIdInput)
  .output(BeancountersOutput)
  .query(async ({ ctx, input }) => {
    const ve = await getVe(ctx.prisma, input.id);
    return liveBeancounters(ctx.prisma, ve.node.id, ve.ctid);
  });
