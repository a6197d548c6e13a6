import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { DriftFieldSchema, DriftValue } from '@/server/services/ves/drift';
import { takeNodeValue } from '@/server/services/ves/drift-repair';
import { VeIdInput } from './actionSchemas';

/** "Take the node's value": the panel row gets what the node has for one drifted field (audited with both values). */
export const driftTake = adminProcedure
  .input(VeIdInput.extend({ field: DriftFieldSchema }))
  .output(z.object({ field: DriftFieldSchema, from: DriftValue, to: DriftValue }))
  .mutation(async ({ ctx, input }) => {
    const r = await takeNodeValue(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.field);
    if (ctx.audit) ctx.audit.details = { field: r.field, from: r.from, to: r.to };
    return r;
  });
