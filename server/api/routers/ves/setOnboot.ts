import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestSetOnboot } from '@/server/services/ves/onboot';
import { TaskRefOutput, VeIdInput } from './actionSchemas';

/** Turns autostart (start with the node, OpenVZ ONBOOT) on or off (admin); saved in the VE's config on its node. */
export const setOnboot = adminProcedure
  .input(VeIdInput.extend({ onboot: z.boolean().describe('true = start the VE when its node starts') }))
  .output(TaskRefOutput)
  .mutation(({ ctx, input }) => requestSetOnboot(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.onboot));
