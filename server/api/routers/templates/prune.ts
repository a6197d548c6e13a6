import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { pruneTemplateVersions } from '@/server/services/templates/versions';

/** Deletes the template's old versions no VE uses (the newest and every used one stay) (admin). */
export const prune = adminProcedure
  .input(z.object({ id: z.string().min(1).max(64) }))
  .output(z.object({ removed: z.array(z.number()).describe('Version numbers deleted') }))
  .mutation(async ({ ctx, input }) => ({ removed: await pruneTemplateVersions(ctx.prisma, input.id) }));
