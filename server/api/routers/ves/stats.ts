import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { VE_STATES, veCountsByState } from '@/server/services/ves';

/** VE counts per state for the dashboard (admin). */
export const stats = adminProcedure
  .input(z.object({}).optional())
  .output(z.object({ total: z.number().int(), byState: z.record(z.enum(VE_STATES), z.number().int()) }))
  .query(({ ctx }) => veCountsByState(ctx.prisma));
