import { z } from 'zod';
import { ownerProcedure } from '@/server/api/trpc';
import { setStaffDisabled } from '@/server/services/staff';
import { StaffIdInput, StaffOutput } from './schemas';

/** Disables a staff account (its sessions end at once) or enables it again; never the last owner. */
export const setDisabled = ownerProcedure
  .input(StaffIdInput.extend({ disabled: z.boolean() }))
  .output(StaffOutput)
  .mutation(({ ctx, input }) => setStaffDisabled(ctx.prisma, ctx.user.id, input.id, input.disabled));
