import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { VE_STATES, veCountsByState } from '@/server/services/ves';
import { driftSummary } from '@/server/services/ves/drift';

/** VE counts per state, and the VEs whose node disagrees with the panel, for the dashboard (admin). */
export const stats = adminProcedure
  .input(z.object({}).optional())
  .output(z.object({
    total: z.number().int(),
    byState: z.record(z.enum(VE_STATES), z.number().int()),
    drift: z.object({
      count: z.number().int().describe('VEs where the node disagrees with the panel in at least one field'),
      ves: z.array(z.object({ id: z.string(), ctid: z.number().int(), hostname: z.string(), fields: z.array(z.string()) })).describe('The first ten of them, by CTID'),
    }),
  }))
  .query(async ({ ctx }) => ({ ...(await veCountsByState(ctx.prisma)), drift: await driftSummary(ctx.prisma) }));
