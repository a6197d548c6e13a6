import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { requestPowerAction } from '@/server/services/ves';
import { auditVe, billingActor, TaskRef, VeIdInput } from './schemas';

/** POST /api/v1/ves/{id}/power (scope ves:write): start, stop, restart or kill (hard stop). */
export const power = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'POST', path: '/ves/{id}/power', tags: ['ves'], protect: true, errorResponses: { 409: 'The VE is busy (creating, destroying, migrating, reinstalling, restoring)', 422: 'The action is not possible in the VE\'s state (e.g. suspended)' }, summary: 'Start, stop, restart or kill a VE' } })
  .input(VeIdInput.extend({ action: z.enum(['start', 'stop', 'restart', 'kill']) }))
  .output(TaskRef)
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    return requestPowerAction(ctx.prisma, billingActor(ctx), input.id, input.action);
  });
