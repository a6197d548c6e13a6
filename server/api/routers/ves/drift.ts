import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { AppError } from '@/server/errors';
import { DRIFT_FIELDS, DriftValue, parseDrift, TAKE_ONLY } from '@/server/services/ves/drift';

/** Where the VE's node disagrees with the panel, per field, as the reconciler last saw it (admin). */
export const drift = adminProcedure
  .input(z.object({ id: z.string().min(1).max(64) }))
  .output(z.object({
    fields: z.array(z.object({
      field: z.enum(DRIFT_FIELDS),
      panel: DriftValue.describe('The panel\'s value (MiB, MB/s, bare addresses)'),
      node: DriftValue.describe('The node\'s value in the same units'),
      since: z.string().describe('When the reconciler first saw it (ISO time)'),
      canPush: z.boolean().describe('false for the template and the inode count: only a reinstall changes them'),
    })),
  }))
  .query(async ({ ctx, input }) => {
    const ve = await ctx.prisma.ve.findUnique({ where: { id: input.id }, select: { drift: true } });
    if (!ve) throw new AppError('NOT_FOUND', 'VE not found');
    const d = parseDrift(ve.drift);
    return { fields: DRIFT_FIELDS.flatMap((field) => (d[field] ? [{ field, ...d[field], canPush: !TAKE_ONLY.includes(field) }] : [])) };
  });
