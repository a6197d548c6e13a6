import { ownerProcedure } from '@/server/api/trpc';
import { resetStaffSecondFactor } from '@/server/services/staff';
import { StaffIdInput, StaffOutput } from './schemas';

/** Removes a staff member's TOTP and backup codes (lost device) and ends their sessions. */
export const resetSecondFactor = ownerProcedure
  .input(StaffIdInput)
  .output(StaffOutput)
  .mutation(({ ctx, input }) => resetStaffSecondFactor(ctx.prisma, input.id));
