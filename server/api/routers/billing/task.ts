import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { getTaskRow } from '@/server/services/tasks';

/** GET /api/v1/tasks/{id} (scope ves:read): a task's status, progress, (redacted) result and error. */
export const task = apiKeyProcedure('ves:read')
  .meta({ openapi: { method: 'GET', path: '/tasks/{id}', tags: ['tasks'], protect: true, summary: 'Get a task' } })
  .input(z.object({ id: z.string().min(1).max(64) }))
  .output(z.object({
    id: z.string(), type: z.string(), status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']), progress: z.number().int(),
    message: z.string().nullable(), veId: z.string().nullable(), ctid: z.number().int().nullable(), result: z.unknown(), error: z.string().nullable(),
    errorCode: z.string().nullable(), createdAt: z.string(), startedAt: z.string().nullable(), finishedAt: z.string().nullable(),
  }))
  .query(async ({ ctx, input }) => {
    const t = await getTaskRow(ctx.prisma, input.id);
    return {
      id: t.id, type: t.type, status: t.status, progress: t.progress, message: t.message, veId: t.veId, ctid: t.ctid, result: t.result ?? null,
      error: t.error, errorCode: t.errorCode, createdAt: t.createdAt.toISOString(), startedAt: t.startedAt?.toISOString() ?? null, finishedAt: t.finishedAt?.toISOString() ?? null,
    };
  });
