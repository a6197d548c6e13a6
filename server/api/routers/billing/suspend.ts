import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { requestSuspend, SuspendInput } from '@/server/services/billing';
import { auditVe, billingActor, TaskRef, VeIdInput } from './schemas';

/**
 * POST /api/v1/ves/{id}/suspend (scope ves:write): suspends with a reason. Default: the VE is stopped.
 * networkOnly: it keeps running and its addresses are removed on the node until unsuspend.
 */
export const suspend = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'POST', path: '/ves/{id}/suspend', tags: ['ves'], protect: true, summary: 'Suspend a VE (stop, or cut its network)' } })
  .input(VeIdInput.merge(SuspendInput))
  .output(TaskRef.extend({ mode: z.enum(['stop', 'network']), previousState: z.enum(['running', 'stopped']) }))
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    return requestSuspend(ctx.prisma, billingActor(ctx), input.id, { reason: input.reason, networkOnly: input.networkOnly });
  });
