// Hooks run once a task has ended (succeeded or failed), after its row is final: webhooks listen here.
import type { PrismaClient, Task } from '@/server/db/client';
import { logger } from '@/server/logger';

export type TaskFinishedHook = (prisma: PrismaClient, task: Task) => Promise<void>;

const hooks = new Map<string, TaskFinishedHook>();

/** Registers `fn` under `name` (re-registering a name replaces it, so module reloads do not double it). */
export function onTaskFinished(name: string, fn: TaskFinishedHook): void {
  hooks.set(name, fn);
}

/** Runs every hook for a finished task; a failing hook is logged and never changes the task's outcome. */
export async function runTaskFinishedHooks(prisma: PrismaClient, task: Task): Promise<void> {
  for (const [name, fn] of hooks) {
    try {
      await fn(prisma, task);
    } catch (err) {
      logger.error({ err, hook: name, taskId: task.id }, 'task finished hook failed');
    }
  }
}
