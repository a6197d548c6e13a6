import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestDestroyConfirmed } from '@/server/services/ves';
import { TaskRefOutput, VeIdInput } from './actionSchemas';

/** Destroys a VE and frees its addresses (admin); `confirm` must be the VE's CTID typed out. */
export const destroy = adminProcedure
  .input(VeIdInput.extend({ confirm: z.string().max(20).describe('the CTID, typed by the admin') }))
  .output(TaskRefOutput)
  .mutation(({ ctx, input }) => requestDestroyConfirmed(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.confirm));
