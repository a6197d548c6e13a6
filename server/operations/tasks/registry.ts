// Task handlers by type ("ve.create", "ve.start", ...). Each runs inside the task runner.
import type { PrismaClient, Task } from '@/server/db/client';

export interface TaskContext {
  task: Task;
  prisma: PrismaClient;
  /** The task's operation id: every agent call carries it, so a re-run acts once. */
  opId: string;
  attempt: number;
  isLastAttempt: boolean;
  log(line: string, level?: 'info' | 'warn' | 'error'): Promise<void>;
  progress(pct: number, message?: string): Promise<void>;
}

export interface TaskHandler {
  type: string;
  run(ctx: TaskContext): Promise<unknown>;
  /** Called once when the task ends failed (after its last attempt): put the target in a known state. */
  onFailed?(ctx: TaskContext, error: unknown): Promise<void>;
}

const handlers = new Map<string, TaskHandler>();

export function registerTaskHandler(h: TaskHandler): void {
  handlers.set(h.type, h);
}

export function taskHandler(type: string): TaskHandler | undefined {
  return handlers.get(type);
}

export const registeredTaskTypes = (): string[] => [...handlers.keys()].sort();
