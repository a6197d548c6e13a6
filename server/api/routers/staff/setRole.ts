import { ownerProcedure } from '@/server/api/trpc';
import { setStaffRole, StaffRoleInput } from '@/server/services/staff';
import { StaffIdInput, StaffOutput } from './schemas';

/** Changes a staff account's role (its sessions end); the last owner cannot be demoted. */
export const setRole = ownerProcedure
  .input(StaffIdInput.extend({ adminRole: StaffRoleInput }))
  .output(StaffOutput)
  .mutation(({ ctx, input }) => setStaffRole(ctx.prisma, input.id, input.adminRole));
