import { z } from 'zod';
import { ownerProcedure } from '@/server/api/trpc';
import { createStaff, CreateStaffInput } from '@/server/services/staff';
import { StaffOutput } from './schemas';

/** Creates another owner, admin, support or billing account (owners only); the password is shown once. */
export const create = ownerProcedure
  .input(CreateStaffInput)
  .output(z.object({ staff: StaffOutput, password: z.string().nullable().describe('Generated password, shown once; null for billing (API only)') }))
  .mutation(({ ctx, input }) => createStaff(ctx.prisma, input));
