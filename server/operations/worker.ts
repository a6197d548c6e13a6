import { EventEmitter } from 'node:events';
import pg from 'pg';
import { Logger, makeWorkerUtils, run, runMigrations, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import type { PrismaClient } from '@/server/db/client';
import { logger } from '@/server/logger';
import { failTaskWithoutRun, taskRunner } from './tasks/runner';
import { registerVeTaskHandlers } from './ve/handlers';
import { registerNodeTaskHandlers } from './nodes/bootstrap-task';
import { registerMigrateTasks } from './migrate';
import { registerImportTasks } from './imports/task';
import { registerReinstallTask } from './ve/reinstall';
import { registerQuotaTask } from './ve/quota';
import { registerBulkTasks } from './bulk';
import { registerWebhookHooks, webhookDeliverTask } from './webhooks/deliver';
import { backupCronItems, backupCronTasks, registerBackupTasks } from './backups';
import { registerTemplateSyncTask } from './templates/sync-task';
import { setTaskNodeSpec } from './ve/agent';
import type { Node } from '@/server/db/client';
import type { NodeSpec } from '@/server/nodes/pool';

// Advisory-lock namespace: a live worker holds (NS, hashtext(workerId)) on its process's liveness connection.
const LIVENESS_NS = 0x767a_0002;

/** Every graphile-worker task identifier this panel runs, and its function. Add new job kinds here. */
export function taskList(prisma: PrismaClient): TaskList {
  registerVeTaskHandlers();
  registerMigrateTasks();
  registerImportTasks();
  registerNodeTaskHandlers();
  registerReinstallTask();
  registerQuotaTask();
  registerBulkTasks();
  registerWebhookHooks();
  registerBackupTasks();
  registerTemplateSyncTask();
  return {
    // Backup scheduler and weekly restore drill (graphile cron, server/operations/backups/scheduler).
    ...backupCronTasks(prisma),
    // A panel Task row (server/operations/tasks): ve.create, ve.start, …
    'task.run': taskRunner(prisma),
    // One signed webhook delivery attempt (server/operations/webhooks).
    'webhook.deliver': webhookDeliverTask(prisma),
  };
}

// graphile-worker's logger, routed to pino (its meta may carry job payloads: pino redacts secrets).
const graphileLogger = new Logger((scope) => (level, message, meta) => {
  const fn = level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'info' ? 'info' : 'debug';
  logger[fn]({ worker: scope.workerId, task: scope.taskIdentifier, jobId: scope.jobId, ...meta }, message);
});

/**
 * Releases jobs and named queues locked by workers that are gone (a killed panel leaves them
 * locked for 4 h otherwise). A worker counts as alive while its process holds that worker's
 * advisory lock, so this is safe with several panel processes on one database.
 */
export async function releaseDeadWorkers(connectionString: string, probe: pg.Client, own: ReadonlySet<string> = new Set()): Promise<string[]> {
  const { rows } = await probe.query<{ locked_by: string }>(
    `SELECT locked_by FROM graphile_worker._private_jobs WHERE locked_by IS NOT NULL
     UNION SELECT locked_by FROM graphile_worker._private_job_queues WHERE locked_by IS NOT NULL`,
  );
  const dead: string[] = [];
  for (const { locked_by: id } of rows) {
    // Advisory locks are re-entrant per session: our own workers would look dead from here.
    if (own.has(id)) continue;
    const r = await probe.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', [LIVENESS_NS, id]);
    if (!r.rows[0].got) continue;
    await probe.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LIVENESS_NS, id]);
    dead.push(id);
  }
  if (dead.length) {
    // A task job that used its last attempt under a dead worker gets one more before it is unlocked:
    // unlocked but used up, it would be skipped, and the later jobs of its queue (the same VE) would
    // run before it (a create re-run after the kills queued behind it left "running" on a stopped VE).
    await probe.query(
      `UPDATE graphile_worker._private_jobs SET max_attempts = attempts + 1
        WHERE locked_by = ANY($1::text[]) AND attempts >= max_attempts AND attempts < $2
          AND task_id = (SELECT id FROM graphile_worker._private_tasks WHERE identifier = 'task.run')`,
      [dead, MAX_INTERRUPTED_ATTEMPTS],
    );
    const utils = await makeWorkerUtils({ connectionString, logger: graphileLogger });
    try {
      await utils.forceUnlockWorkers(dead);
    } finally {
      await utils.release();
    }
    logger.warn({ workers: dead }, 'released jobs locked by dead workers');
  }
  return dead;
}

/** A task interrupted this many times (worker killed mid-run) is failed instead of run again. */
export const MAX_INTERRUPTED_ATTEMPTS = 10;

/**
 * Tasks whose job used its last attempt while a worker died under it would never run again and
 * stay "running" forever. Such a job gets one more attempt (a re-run is safe: every agent call
 * repeats its op id); after MAX_INTERRUPTED_ATTEMPTS the task is failed with its cleanup hook.
 */
export async function recoverInterruptedTasks(prisma: PrismaClient, probe: pg.Client): Promise<{ retried: string[]; failed: string[] }> {
  const stuck = await probe.query<{ job_id: string; task_id: string; attempts: number }>(
    `SELECT j.id AS job_id, t.id AS task_id, j.attempts FROM graphile_worker._private_jobs j
       JOIN graphile_worker._private_tasks gt ON gt.id = j.task_id AND gt.identifier = 'task.run'
       JOIN "Task" t ON t.id = j.payload->>'taskId'
      WHERE j.locked_by IS NULL AND j.attempts >= j.max_attempts AND t.status IN ('queued', 'running')`,
  );
  const retried: string[] = [];
  const failed: string[] = [];
  for (const s of stuck.rows) {
    if (s.attempts < MAX_INTERRUPTED_ATTEMPTS) {
      // Its run_at keeps its place in the queue: jobs queued after it must not overtake it.
      await probe.query('UPDATE graphile_worker._private_jobs SET max_attempts = attempts + 1, run_at = LEAST(run_at, now()) WHERE id = $1 AND locked_by IS NULL', [s.job_id]);
      retried.push(s.task_id);
    } else {
      await failTaskWithoutRun(prisma, s.task_id, `the task was interrupted ${s.attempts} times (panel stopped while running it); outcome unknown`);
      await probe.query('DELETE FROM graphile_worker._private_jobs WHERE id = $1 AND locked_by IS NULL', [s.job_id]);
      failed.push(s.task_id);
    }
  }
  if (retried.length || failed.length) logger.warn({ retried, failed }, 'recovered tasks interrupted by dead workers');
  return { retried, failed };
}

/** Creates or updates graphile-worker's schema: a web-only process enqueues jobs before any worker may have started. */
export async function migrateJobQueue(connectionString: string): Promise<void> {
  await runMigrations({ connectionString, logger: graphileLogger });
}

export interface PanelWorker {
  runner: Runner;
  stop(): Promise<void>;
}

/**
 * Starts the job workers: migrates the graphile_worker schema, frees what dead workers held,
 * then runs the task list. Never enables localQueue (it breaks per-VE queue ordering).
 */
export async function startWorker(opts: {
  connectionString: string;
  prisma: PrismaClient;
  concurrency?: number;
  tasks?: TaskList;
  sweepIntervalMs?: number;
  /** Simulated fleets only (benches, tests): how tasks reach a node instead of its row's transport. */
  specFor?: (node: Node) => NodeSpec;
}): Promise<PanelWorker> {
  const { connectionString } = opts;
  await runMigrations({ connectionString, logger: graphileLogger });
  const liveness = new pg.Client({ connectionString, application_name: 'vzpanel-worker-liveness' });
  await liveness.connect();
  liveness.on('error', (err) => logger.error({ err }, 'worker liveness connection lost'));
  await releaseDeadWorkers(connectionString, liveness);
  await recoverInterruptedTasks(opts.prisma, liveness);
  const own = new Set<string>();

  const events = new EventEmitter();
  // One query at a time on the liveness connection (workers are created in a burst).
  let chain: Promise<unknown> = Promise.resolve();
  const hold = (id: string) => {
    own.add(id);
    chain = chain
      .then(() => liveness.query('SELECT pg_advisory_lock($1, hashtext($2))', [LIVENESS_NS, id]))
      .catch((err) => logger.error({ err }, 'worker liveness lock failed'));
  };
  // graphile-worker 0.17 records the POOL id in locked_by, not the worker's: without holding it too,
  // the sweep took this process's running jobs for a dead worker's and ran them a second time.
  events.on('pool:create', ({ workerPool }: { workerPool: { id: string } }) => hold(workerPool.id));
  events.on('worker:create', ({ worker }: { worker: { workerId: string } }) => hold(worker.workerId));
  // Before the runner starts: jobs already queued run at once.
  const restoreSpec = opts.specFor ? setTaskNodeSpec(opts.specFor) : undefined;
  const runner = await run({
    connectionString,
    concurrency: opts.concurrency ?? 4,
    noHandleSignals: true,
    pollInterval: 1000,
    taskList: { ...taskList(opts.prisma), ...opts.tasks },
    // No crontab file: scheduled jobs are registered in code.
    parsedCronItems: backupCronItems(),
    logger: graphileLogger,
    events: events as WorkerEvents,
  }).catch((e: unknown) => {
    restoreSpec?.();
    throw e;
  });
  let stopped = false;
  // Another panel process may die while this one lives on: keep releasing what dead workers hold.
  const sweep = setInterval(() => {
    chain = chain
      .then(() => releaseDeadWorkers(connectionString, liveness, own))
      .then(() => recoverInterruptedTasks(opts.prisma, liveness))
      .catch((err) => logger.warn({ err: (err as Error).message }, 'dead worker sweep failed'));
  }, opts.sweepIntervalMs ?? 60_000);
  sweep.unref();
  return {
    runner,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(sweep);
      await runner.stop();
      restoreSpec?.();
      await chain.catch(() => undefined);
      await liveness.end().catch(() => undefined);
    },
  };
}
