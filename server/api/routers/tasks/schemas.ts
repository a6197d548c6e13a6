import { z } from 'zod';
import { TASK_STATUSES, type TaskRow } from '@/server/services/tasks';
import { taskForViewer, type Viewer } from '@/server/services/tasks/customerView';

export const TaskOutput = z.object({
  id: z.string(),
  type: z.string(),
  status: z.enum(TASK_STATUSES),
  progress: z.number().int().describe('0..100'),
  message: z.string().nullable().describe('latest progress message'),
  veId: z.string().nullable(),
  ctid: z.number().int().nullable(),
  nodeId: z.string().nullable(),
  nodeName: z.string().nullable(),
  userId: z.string().nullable(),
  userEmail: z.string().nullable(),
  viaApiKey: z.boolean(),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
  attempts: z.number().int(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  updatedAt: z.string(),
});

export const TaskLogOutput = z.object({ id: z.number().int(), ts: z.string(), level: z.string(), line: z.string() });

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The task as `viewer` may see it: customers get "support" for others and plain failure messages. */
export function toTaskOutput(t: TaskRow, viewer?: Viewer): z.infer<typeof TaskOutput> {
  return taskForViewer({
    id: t.id, type: t.type, status: t.status, progress: t.progress, message: t.message, veId: t.veId, ctid: t.ctid, nodeId: t.nodeId,
    nodeName: t.node?.name ?? null, userId: t.userId, userEmail: t.user?.email ?? null, viaApiKey: !!t.apiKeyId, error: t.error, errorCode: t.errorCode,
    attempts: t.attempts, createdAt: t.createdAt.toISOString(), startedAt: iso(t.startedAt), finishedAt: iso(t.finishedAt), updatedAt: t.updatedAt.toISOString(),
  }, viewer);
}

export const toLogOutput = (l: { id: number; ts: Date; level: string; line: string }) => ({ id: l.id, ts: l.ts.toISOString(), level: l.level, line: l.line });
