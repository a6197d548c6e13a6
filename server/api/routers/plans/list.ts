import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listPlans } from '@/server/services/plans';
import { PlanOutput, toPlanOutput } from './schemas';

/** Every plan with its limits, allowed templates and VE count (admin). */
export const list = adminProcedure.output(z.array(PlanOutput)).query(async ({ ctx }) => (await listPlans(ctx.prisma)).map(toPlanOutput));
