import { adminProcedure } from '@/server/api/trpc';
import { liveVeUsage } from '@/server/operations/ve/usage';
import { getVe } from '@/server/services/ves';
import { UsageOutput } from '@/server/api/routers/portal/usage';
import { VeIdInput } from './actionSchemas';

/** Live memory, process and disk use of a VE, asked from its node now (admin). */
export const usage = adminProcedure
  .input(VeIdInput)
  .output(UsageOutput)
  .query(async ({ ctx, input }) => {
    const ve = await getVe(ctx.prisma, input.id);
    return liveVeUsage(ctx.prisma, ve.node.id, ve.ctid);
  });
