import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listStaff } from '@/server/services/staff';
import { StaffOutput } from './schemas';

/** Every staff account with its role (any staff member may look; only owners change them). */
export const list = adminProcedure.output(z.array(StaffOutput)).query(({ ctx }) => listStaff(ctx.prisma));
