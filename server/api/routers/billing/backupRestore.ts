import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { requestRestore } from '@/server/services/backups';
import { auditTarget } from '../backups/schemas';
import { billingActor } from './schemas';

/** POST /api/v1/backups/{id}/restore (scope backups:write): replace the VE's data with this backup (same CTID, addresses, limits). */
export const backupRestore = apiKeyProcedure('backups:write')
  .meta({ openapi: { method: 'POST', path: '/backups/{id}/restore', tags: ['backups'], protect: true, summary: 'Restore a backup into its VE',
    errorResponses: { 409: 'The VE is busy', 422: 'The backup is not completed, or its VE no longer exists' } } })
  .input(z.object({ id: z.string().min(1).max(64).describe('Backup id'), start: z.boolean().optional().describe('Run the VE afterwards; default: as it was') }))
  .output(z.object({ taskId: z.string(), veId: z.string() }))
  .mutation(({ ctx, input }) => {
    auditTarget(ctx, 'backup', input.id);
    return requestRestore(ctx.prisma, billingActor(ctx), input.id, { start: input.start });
  });
