import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { requestSuspend, SuspendInput } from '@/server/services/billing';
import { auditVe, billingActor, VeIdInput } from './schemas';

/**
 * POST /api/v1/ves/{id}/suspend (scope ves:write): suspends with a reason. Default: the VE is stopped.
 * networkOnly: it keeps running and its addresses are removed on the node until unsuspend.
 * Idempotent: a retry on a VE already suspended in that mode answers 200 with changed=false.
 */
export const suspend = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'POST', path: '/ves/{id}/suspend', tags: ['ves'], protect: true, errorResponses: { 409: 'Already suspended in the other mode, being unsuspended, or busy' }, summary: 'Suspend a VE (stop, or cut its network)',
    description: 'Idempotent: suspending a VE already suspended in the same mode answers 200 with `changed: false` and queues nothing (`taskId` is the suspend still running, if any). Another mode answers 409: unsuspend first.' } })
  .input(VeIdInput.merge(SuspendInput))
  .output(z.object({
    taskId: z.string().nullable().describe('The queued suspend task; null when the VE was already suspended and nothing is running'),
    mode: z.enum(['stop', 'network']),
    previousState: z.enum(['running', 'stopped']).describe('Power state unsuspend restores'),
    changed: z.boolean().describe('false when the VE was already suspended in this mode'),
    state: z.literal('suspended'),
  }))
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    const r = await requestSuspend(ctx.prisma, billingActor(ctx), input.id, { reason: input.reason, networkOnly: input.networkOnly });
    return { ...r, state: 'suspended' as const };
  });
