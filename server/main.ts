/**
 * vzpanel: one Node process serving the web UI (Next.js), tRPC, the billing REST API, the
 * WebSocket endpoint and the job workers. Start it with `./vz up` (or `node --import tsx server/main.ts`).
 * VZPANEL_ROLE=web|worker splits it into several processes on one Postgres (README: Several panel processes).
 */
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readConfig } from './boot/config';
import { openDatabase, takeOverShutdownSignals } from './boot/database';
import { registerLocalNode } from './boot/local-node';
import { becomePanelUser } from './boot/panel-user';
import { ensureLocalTemplates } from './boot/templates';
import { LOCAL_NODE } from './services/nodes';
import { createPrisma } from './db/client';
import { applyMigrations } from '@/prisma/tools/engine';
import { ensureAdmin } from './services/auth/users';
import { purgeExpiredSessions } from './services/auth/sessions';
import { purgeThrottle } from './services/auth/rateLimit';
import { createHttpServer, type NextHandlers } from './http/server';
import { listenPanel } from './http/tls';
import { migrateJobQueue, startWorker } from './operations/worker';
import { startNodeMonitor } from './operations/node-monitor';
import { startUsageCollector } from './operations/usage-collector';
import { evaluateQuotas } from './services/usage/quota';
import { startReconciler } from './operations/reconciler';
import { startTemplateDistributor } from './operations/templates/distributor';
import { startLeaderElection, type Leadership } from './operations/leader';
import { setVeUsageSource } from './services/metrics/ve-series';
import { usageForPrometheus } from './services/usage/prometheus';
import { closeTaskEvents } from './operations/tasks/events';
import { closeAll as closeAgents } from './nodes/pool';
import { closeApiKeyCaches } from './services/auth/apiKeyCache';
import { logger } from './logger';
import { describeThrown, startupFailureText, type StartupStep } from './boot/startup-error';

const ROOT = path.resolve(import.meta.dirname, '..');

async function startNext(dev: boolean): Promise<NextHandlers & { close(): Promise<void> }> {
  const { default: next } = await import('next');
  const app = next({ dev, dir: ROOT, quiet: !dev });
  await app.prepare();
  const handle = app.getRequestHandler();
  const upgrade = app.getUpgradeHandler();
  return {
    handle: (req: IncomingMessage, res: ServerResponse) => handle(req, res),
    upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrade(req, socket, head),
    close: () => app.close(),
  };
}

// Resources started so far, undone in reverse if start-up fails half-way.
const undo: Array<() => Promise<unknown>> = [];
// The start-up step under way, named in the failure message with what to do about it.
let step: StartupStep = { what: 'reading the configuration', hint: 'check the environment variables (README: Configuration)' };
const at = (what: string, hint: string) => { step = { what, hint }; };

async function main(): Promise<void> {
  takeOverShutdownSignals();
  const cfg = readConfig();
  const { agent, dropped } = await becomePanelUser(cfg, ROOT, at);
  const stopAgent = agent && !cfg.keepAgent && !dropped ? agent : undefined;
  if (stopAgent) undo.push(() => stopAgent.stop('SIGTERM'));
  at('opening the database', cfg.databaseUrl
    ? 'check that the Postgres server in DATABASE_URL runs and accepts these credentials'
    : `read the Postgres messages above; the embedded cluster lives in ${cfg.dataDir}/pgdata`);
  const db = await openDatabase(cfg);
  if (db.embedded) undo.push(() => db.embedded!.stop());
  // Next's server code (getPrisma) and child tools read the same URL.
  process.env.DATABASE_URL = db.url;
  at('migrating the database', 'the schema could not be updated: restore the database from a backup or file an issue with this message');
  const { applied } = await applyMigrations(db.url);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const prisma = createPrisma(db.url, { max: 20 });
  undo.push(() => prisma.$disconnect());

  at('preparing the admin account', 'check VZPANEL_ADMIN_EMAIL / VZPANEL_ADMIN_PASSWORD');
  const admin = await ensureAdmin(prisma, { email: cfg.adminEmail, password: cfg.adminPassword });
  // The one line a new user needs; printed on stdout, never logged.
  console.log(admin.created ? `Admin login: ${admin.email} ${admin.password}` : `Admin login: ${admin.email} (password unchanged)`);
  await purgeExpiredSessions(prisma);
  await purgeThrottle(prisma);

  at('registering the local node', 'check the database messages above');
  if (cfg.localNode) await registerLocalNode(prisma, cfg.vzroot);
  if (cfg.localNode) await ensureLocalTemplates(prisma, LOCAL_NODE);
  const runsWorker = cfg.role !== 'web';
  const runsWeb = cfg.role !== 'worker';
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  let leadership: Leadership | undefined;
  if (runsWorker) {
    at('starting the task workers', 'the job queue in the database could not be prepared: check the database messages above');
    const w = await startWorker({ connectionString: db.url, prisma, concurrency: cfg.workerConcurrency, sweepIntervalMs: cfg.sweepMs });
    worker = w;
    undo.push(() => w.stop());
    // Node monitor, reconciler and usage collector run in one process of all those on this database.
    const l = startLeaderElection({ connectionString: db.url, name: 'singletons', lead: () => startSingletons(prisma) });
    leadership = l;
    undo.push(() => l.stop());
  } else {
    at('preparing the job queue', 'the job queue in the database could not be prepared: check the database messages above');
    await migrateJobQueue(db.url);
  }
  undo.push(() => closeAgents(), () => closeTaskEvents());
  if (!runsWeb) {
    console.log(`Worker: ready (pid ${process.pid})`);
    logger.info({ role: cfg.role, concurrency: cfg.workerConcurrency }, 'panel worker running');
  }
  // Usage figures for /metrics/ves come from Postgres, so every web process serves them.
  if (runsWeb) setVeUsageSource(usageForPrometheus);
  const web = runsWeb ? await startWeb(cfg, prisma, !!db.embedded) : undefined;
  const servers = web?.servers ?? [];

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn('second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Ctrl-C reaches the embedded Postgres too (same process group), so connections may drop
    // under the stopping worker pools; that is expected now and must not crash the shutdown.
    process.on('uncaughtException', (err) => logger.warn({ err: (err as Error).message }, 'error during shutdown (ignored)'));
    // Hard stop if something hangs: a killed worker only costs a lock that the next start releases.
    setTimeout(() => process.exit(1), 30_000).unref();
    const closed = Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    for (const s of servers) s.closeIdleConnections();
    for (const c of web?.wss.clients ?? []) c.close(1001, 'server shutting down');
    const step = (name: string, fn: () => Promise<unknown>) => fn().catch((err) => logger.warn({ err: (err as Error).message, step: name }, 'shutdown step failed'));
    await step('singletons', async () => leadership?.stop());
    await step('task events', () => closeTaskEvents());
    await step('API key cache', () => closeApiKeyCaches());
    await step('worker', async () => worker?.stop());
    await step('agents', () => closeAgents());
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
    for (const s of servers) s.closeAllConnections();
    await step('next', async () => web?.nextApp?.close());
    // An agent a root panel started stops with it (VEs keep running without it) unless asked to keep it.
    if (stopAgent) await step('agent', () => stopAgent.stop('SIGTERM'));
    await step('prisma', () => prisma.$disconnect());
    await step('postgres', async () => db.embedded?.stop());
    logger.info('stopped');
    process.exit(0);
  };
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void shutdown(sig));
}

/** The node monitor, reconciler, usage collector and template distributor (the leader's share); returns their stop function. */
function startSingletons(prisma: ReturnType<typeof createPrisma>): () => Promise<unknown> {
  // Drift check every minute, and at once when a node comes (back) online.
  const reconciler = startReconciler({ prisma });
  // Templates are copied to nodes ahead of need: every minute, and at once to a node that comes (back) online.
  const templates = startTemplateDistributor({ prisma });
  const monitor = startNodeMonitor({ prisma, onOnline: (n) => { reconciler.kick(n.id); templates.kick(n.id); } });
  const usage = startUsageCollector({ prisma, onStored: (node) => evaluateQuotas(prisma, { nodeId: node.id }).then(() => undefined) });
  return () => Promise.all([monitor.stop(), reconciler.stop(), usage.stop(), templates.stop()]);
}

/** Next (unless VZPANEL_NO_NEXT), the HTTP server with its WebSocket endpoints, listening. */
async function startWeb(cfg: ReturnType<typeof readConfig>, prisma: ReturnType<typeof createPrisma>, embeddedDb: boolean) {
  at('starting the web UI', 'run `./vz up` (it rebuilds the web app), or VZPANEL_NO_NEXT=1 for the API only');
  const nextApp = cfg.next ? await startNext(cfg.dev) : undefined;
  const { server, wss } = createHttpServer({ prisma, next: nextApp });

  at(cfg.tls ? `listening on ${cfg.host}:${cfg.httpsPort} (HTTPS) and ${cfg.port} (redirect)` : `listening on ${cfg.host}:${cfg.port}`, 'check HOST, PORT and HTTPS_PORT (and the TLS certificate and key)');
  const { url, servers } = await listenPanel(server, cfg);
  console.log(`Panel: ${url}`);
  logger.info({ url, host: cfg.host, role: cfg.role, embeddedDb, next: cfg.next, dev: cfg.dev }, 'panel listening');
  return { nextApp, wss, servers };
}

main().catch(async (err) => {
  logger.fatal({ err, step: step.what, reason: describeThrown(err) }, 'panel failed to start');
  console.error(startupFailureText(step, err));
  for (const fn of undo.reverse()) await fn().catch(() => undefined);
  process.exit(1);
});
