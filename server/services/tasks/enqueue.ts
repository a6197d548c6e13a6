// A Task row and its queue job are written in one transaction: a task never exists without a job.
import type { Prisma, PrismaClient, Task } from '@/server/db/client';
import { isTaskType, parseTaskParams, type TaskParams, type TaskType, type TestTaskType } from './definitions';

interface EnqueueBase {
  veId?: string | null;
  ctid?: number | null;
  nodeId?: string | null;
  userId?: string | null;
  apiKeyId?: string | null;
  /** Jobs with one queue name run strictly one after another (default: per VE, else per node). */
  queue?: string | null;
  /** Safe-to-retry tasks get more attempts; the agent journal makes a repeat act once. */
  maxAttempts?: number;
  runAt?: Date;
}

/** A defined task with its typed params, or a test-only type with free-form params. */
export type EnqueueInput =
  | { [T in TaskType]: EnqueueBase & { type: T; params: TaskParams<T> } }[TaskType]
  | (EnqueueBase & { type: TestTaskType; params?: Prisma.InputJsonValue });

type Tx = Prisma.TransactionClient | PrismaClient;

export const queueFor = (i: Pick<EnqueueBase, 'queue' | 'veId' | 'ctid' | 'nodeId'>): string | null =>
  i.queue !== undefined ? i.queue : i.ctid != null ? `ve:${i.ctid}` : i.veId ? `ve:${i.veId}` : null;

// Params are checked against their definition here, so a task that cannot be parsed is never queued.
function checkedParams(input: EnqueueInput): Prisma.InputJsonValue {
  if (!isTaskType(input.type)) return (input.params ?? {}) as Prisma.InputJsonValue;
  return parseTaskParams(input.type, input.params, 'new task', { strict: true }) as Prisma.InputJsonValue;
}

/** Inserts the task and its graphile-worker job inside `tx` (pass a transaction to bundle more writes). */
export async function enqueueTaskTx(tx: Tx, input: EnqueueInput): Promise<Task> {
  const task = await tx.task.create({
    data: {
      type: input.type,
      params: checkedParams(input),
      veId: input.veId ?? null,
      ctid: input.ctid ?? null,
      nodeId: input.nodeId ?? null,
      userId: input.userId ?? null,
      apiKeyId: input.apiKeyId ?? null,
    },
  });
  const queue = queueFor(input);
  const maxAttempts = input.maxAttempts ?? 3;
  const runAt = input.runAt ?? new Date();
  await tx.$executeRaw`SELECT graphile_worker.add_job(
      'task.run', json_build_object('taskId', ${task.id}::text), queue_name => ${queue}::text,
      run_at => ${runAt}::timestamptz, max_attempts => ${maxAttempts}::int, job_key => ${task.id}::text)`;
  return task;
}

export async function enqueueTask(prisma: PrismaClient, input: EnqueueInput): Promise<Task> {
  return prisma.$transaction((tx) => enqueueTaskTx(tx, input));
}
