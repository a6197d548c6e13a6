import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { requestUnsuspend } from '@/server/services/billing';
import { auditVe, billingActor, TaskRef, VeIdInput } from './schemas';

/** POST /api/v1/ves/{id}/unsuspend (scope ves:write): lifts the suspension and restores the previous power state. */
export const unsuspend = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'POST', path: '/ves/{id}/unsuspend', tags: ['ves'], protect: true, summary: 'Unsuspend a VE (restores its previous power state)' } })
  .input(VeIdInput)
  .output(TaskRef.extend({ restores: z.enum(['running', 'stopped']) }))
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    return requestUnsuspend(ctx.prisma, billingActor(ctx), input.id);
  });
