import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { requestBackup } from '@/server/services/backups';
import { auditVe, billingActor, VeIdInput } from './schemas';

/**
 * POST /api/v1/ves/{id}/backups (scope backups:write): back the VE up now, within its plan's
 * backup count. The outcome arrives as webhook backup.completed or backup.failed.
 */
export const backupCreate = apiKeyProcedure('backups:write')
  .meta({ openapi: { method: 'POST', path: '/ves/{id}/backups', tags: ['backups'], protect: true, summary: 'Back up a VE now',
    errorResponses: { 409: 'A backup of this VE is already queued or running, the VE is busy, or the plan\'s backup count is used up', 422: 'No backup storage is set up' } } })
  .input(VeIdInput)
  .output(z.object({ taskId: z.string(), backupId: z.string() }))
  .mutation(({ ctx, input }) => {
    auditVe(ctx, input.id);
    return requestBackup(ctx.prisma, billingActor(ctx), input.id);
  });
