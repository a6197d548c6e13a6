// Task history for admins (everything) and customers (tasks of their own VEs only).
import type { Prisma, PrismaClient, TaskStatus } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { z } from 'zod';

export const TASK_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly TaskStatus[];
export const TERMINAL: ReadonlySet<TaskStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export const ListTasksInput = z.object({
  veId: z.string().max(64).optional(),
  ctid: z.number().int().min(100).optional(),
  nodeId: z.string().max(64).optional(),
  userId: z.string().max(64).optional(),
  status: z.array(z.enum(TASK_STATUSES)).max(5).optional(),
  type: z.string().max(64).optional().describe('exact type ("ve.start") or a prefix ending in "." ("ve.")'),
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
});
export type ListTasksInput = z.input<typeof ListTasksInput>;

const taskSelect = {
  id: true, type: true, status: true, progress: true, message: true, veId: true, ctid: true, nodeId: true, userId: true, apiKeyId: true,
  error: true, errorCode: true, attempts: true, createdAt: true, startedAt: true, finishedAt: true, updatedAt: true,
  node: { select: { name: true } },
  user: { select: { email: true } },
} as const;

export type TaskRow = Prisma.TaskGetPayload<{ select: typeof taskSelect }>;

/**
 * Scope of the tasks a viewer may see: undefined for admins (all), tasks of VEs the customer
 * owns otherwise (via the VE's owner, so a task another user started on their VE is visible too).
 */
export function taskScope(user: { id: string; role: 'admin' | 'customer' }): Prisma.TaskWhereInput | undefined {
  if (user.role === 'admin') return undefined;
  if (!user.id) throw new Error('taskScope needs a user id'); // never widen to everything
  return { ve: { ownerId: user.id } };
}

const and = (where: Prisma.TaskWhereInput, scope?: Prisma.TaskWhereInput): Prisma.TaskWhereInput => (scope ? { AND: [scope, where] } : where);

export async function listTasks(prisma: PrismaClient, raw: ListTasksInput, scope?: Prisma.TaskWhereInput) {
  const i = ListTasksInput.parse(raw);
  const where: Prisma.TaskWhereInput = {
    ...(i.veId ? { veId: i.veId } : {}),
    ...(i.ctid !== undefined ? { ctid: i.ctid } : {}),
    ...(i.nodeId ? { nodeId: i.nodeId } : {}),
    ...(i.userId ? { userId: i.userId } : {}),
    ...(i.status?.length ? { status: { in: i.status } } : {}),
    ...(i.type ? (i.type.endsWith('.') ? { type: { startsWith: i.type } } : { type: i.type }) : {}),
  };
  const w = and(where, scope);
  const [total, items] = await Promise.all([
    prisma.task.count({ where: w }),
    prisma.task.findMany({ where: w, select: taskSelect, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: (i.page - 1) * i.pageSize, take: i.pageSize }),
  ]);
  return { total, page: i.page, pageSize: i.pageSize, items };
}

/** One task the viewer may see, or NOT_FOUND (same message whether missing or not theirs). */
export async function getTaskRow(prisma: PrismaClient, id: string, scope?: Prisma.TaskWhereInput) {
  const t = await prisma.task.findFirst({ where: and({ id }, scope), select: { ...taskSelect, params: true, result: true } });
  if (!t) throw new AppError('NOT_FOUND', 'Task not found');
  return { ...t, params: redact(t.params), result: redact(t.result) };
}

/** Log lines of a task after `afterId` (0 = from the start), oldest first. */
export function taskLogs(prisma: PrismaClient, taskId: string, afterId = 0, take = 1000) {
  return prisma.taskLog.findMany({ where: { taskId, id: { gt: afterId } }, orderBy: { id: 'asc' }, take, select: { id: true, ts: true, level: true, line: true } });
}

const SECRET = /pass(word)?|secret|credential|private.?key|token|hash/i;

/** Task params/results as shown to people: anything secret-looking is replaced, at any depth. */
export function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, SECRET.test(k) && x != null ? '[redacted]' : redact(x)]));
  }
  return v;
}
