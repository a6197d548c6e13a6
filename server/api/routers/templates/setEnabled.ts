import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { setTemplateEnabled } from '@/server/services/templates/admin';

/** Offers a template for new installs again, or hides it (existing VEs keep it) (admin). */
export const setEnabled = adminProcedure
  .input(z.object({ id: z.string().min(1).max(64), enabled: z.boolean() }))
  .output(z.object({ id: z.string(), enabled: z.boolean() }))
  .mutation(({ ctx, input }) => setTemplateEnabled(ctx.prisma, input.id, input.enabled));
