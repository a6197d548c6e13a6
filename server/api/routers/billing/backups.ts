import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { AppError } from '@/server/errors';
import { backupOut, listBackups } from '@/server/services/backups';
import { BackupOutput } from '../backups/schemas';
import { billingActor, queryInt, VeIdInput } from './schemas';

/** GET /api/v1/ves/{id}/backups (scope backups:read): the VE's backups, newest first. */
export const backups = apiKeyProcedure('backups:read')
  .meta({ openapi: { method: 'GET', path: '/ves/{id}/backups', tags: ['backups'], protect: true, summary: 'List a VE\'s backups' } })
  .input(VeIdInput.extend({ page: queryInt(1, 100_000).default(1), pageSize: queryInt(1, 200).default(50) }))
  .output(z.object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int(), items: z.array(BackupOutput) }))
  .query(async ({ ctx, input }) => {
    if (!(await ctx.prisma.ve.findUnique({ where: { id: input.id }, select: { id: true } }))) throw new AppError('NOT_FOUND', 'VE not found');
    const r = await listBackups(ctx.prisma, billingActor(ctx), { veId: input.id, page: input.page, pageSize: input.pageSize });
    return { ...r, items: r.items.map(backupOut) };
  });
