// Task handlers by type ("ve.create", "ve.start", ...). Each runs inside the task runner; the types
// and their params are defined once in server/services/tasks/definitions.
import type { PrismaClient, Task } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { parseTaskParams, type TaskParams, type TaskType, type TestTaskType } from '@/server/services/tasks/definitions';

export interface TaskContext {
  task: Task;
  prisma: PrismaClient;
  /** The task's operation id: every agent call carries it, so a re-run acts once. */
  opId: string;
  attempt: number;
  isLastAttempt: boolean;
  log(line: string, level?: 'info' | 'warn' | 'error'): Promise<void>;
  progress(pct: number, message?: string): Promise<void>;
  /**
   * Progress nobody waits for (an agent's notifications): written at most once per
   * PROGRESS_GAP_MS, the latest value winning; whatever is pending still lands with (or before) the outcome.
   */
  progressLater?(pct: number, message?: string): void;
}

export interface TaskHandler {
  type: TaskType | TestTaskType;
  run(ctx: TaskContext): Promise<unknown>;
  /** Called once when the task ends failed (after its last attempt): put the target in a known state. */
  onFailed?(ctx: TaskContext, error: unknown): Promise<void>;
  /** Failures of this type worth another attempt besides NODE_OFFLINE and BUSY (e.g. backup storage unreachable). */
  retryable?(error: unknown): boolean;
}

const handlers = new Map<string, TaskHandler>();

export function registerTaskHandler(h: TaskHandler): void {
  handlers.set(h.type, h);
}

export function taskHandler(type: string): TaskHandler | undefined {
  return handlers.get(type);
}

export const registeredTaskTypes = (): string[] => [...handlers.keys()].sort();

/** The task's params, parsed by its definition (a row written by hand or by an older panel fails here, plainly). */
export function taskParams<T extends TaskType>(ctx: Pick<TaskContext, 'task'>, type: T): TaskParams<T> {
  if (ctx.task.type !== type) throw new AppError('INTERNAL', `task ${ctx.task.id} is ${ctx.task.type}, not ${type}`);
  return parseTaskParams(type, ctx.task.params, `task ${ctx.task.id}`);
}
