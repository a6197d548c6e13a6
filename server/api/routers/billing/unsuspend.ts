import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { requestUnsuspend } from '@/server/services/billing';
import { auditVe, billingActor, VeIdInput } from './schemas';

/**
 * POST /api/v1/ves/{id}/unsuspend (scope ves:write): lifts the suspension and restores the previous power state.
 * Idempotent: a VE not suspended, or already being unsuspended, answers 200 with changed=false.
 */
export const unsuspend = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'POST', path: '/ves/{id}/unsuspend', tags: ['ves'], protect: true, errorResponses: { 409: 'The VE is busy (creating, destroying, migrating, reinstalling)' }, summary: 'Unsuspend a VE (restores its previous power state)',
    description: 'Idempotent: a VE that is not suspended answers 200 with `changed: false`, `taskId: null` and its state; one already being unsuspended answers that task.' } })
  .input(VeIdInput)
  .output(z.object({
    taskId: z.string().nullable().describe('The unsuspend task; null when the VE was not suspended'),
    restores: z.enum(['running', 'stopped']).nullable().describe('Power state the VE returns to; null when it was not suspended'),
    state: z.string().describe('The VE\'s state now (suspended until the task has run)'),
    changed: z.boolean().describe('false when nothing new was queued'),
  }))
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    return requestUnsuspend(ctx.prisma, billingActor(ctx), input.id);
  });
