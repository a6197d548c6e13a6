import { mkdirSync } from 'node:fs';
import { handlers } from '../handlers/index';
import { loadConfig } from './config';
import { Dispatcher } from './dispatcher';
import { Journal } from './journal';
import { createLogger } from './logger';
import { criuStatus } from './probe';
import { listen } from './server';
import { testHandlers } from './test-handlers';
import { bootTasks } from './boot';
import { startSampler } from '../metrics/sampler';
import { startShapingKeeper } from '../net/shaping-keeper';
import { startRebootKeeper } from '../lxc/reboot';
import { settleBackupsOnStartup } from '../backup/startup';
import { detachLeftoverLoops } from '../storage/image';
import { bundledHelperScript, Spawner, SpawnerPool } from '../exec/spawner';
import { useSpawner } from '../sys/exec';

const SHUTDOWN_GRACE_MS = Number(process.env.VZ_SHUTDOWN_GRACE_MS ?? 30_000);

/**
 * vzagentd: the node daemon. Containers are separate LXC monitor processes, so stopping or
 * killing this process never stops a VE; it only stops taking RPC calls.
 */
export async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('vzagentd');
  // Programs run through small helper processes, not by forking this one (exec/spawner.ts).
  // VZ_SPAWNER=off keeps child_process here (for comparing, or if the helpers misbehave);
  // VZ_SPAWN_HELPERS sets how many (default 2, one per core of the smallest node).
  const helper = process.env.VZ_SPAWNER === 'off' ? undefined : bundledHelperScript();
  const count = Math.min(Math.max(Number(process.env.VZ_SPAWN_HELPERS ?? 2) || 2, 1), 16);
  if (helper) useSpawner(new SpawnerPool(Array.from({ length: count }, () => new Spawner({ script: helper, log: (msg, f) => logger.info(f, msg) }))));
  mkdirSync(config.vzroot, { recursive: true, mode: 0o755 });
  const journal = new Journal(config.journalDir);
  const interrupted = await journal.recoverOnStartup();
  for (const e of interrupted) logger.warn({ opId: e.opId, method: e.method, ve: e.ve }, 'operation interrupted by a previous agent exit');
  await settleBackupsOnStartup(config, logger); // thaw, unmount, finish or drop half-done restores before taking calls
  const loops = await detachLeftoverLoops(config.vzroot).catch((e) => { logger.warn({ err: (e as Error).message }, 'leftover loop devices not swept'); return []; });
  if (loops.length) logger.warn({ loops }, 'detached loop devices a previous agent left unmounted');
  const list = config.testHandlers ? [...handlers, ...testHandlers] : handlers;
  const dispatcher = new Dispatcher(config, journal, logger, list);
  const server = await listen(config.socket, dispatcher, logger, { vzroot: config.vzroot, group: config.socketGroup });
  void criuStatus(); // warm the slow probe so the first hello is quick
  void bootTasks(config, logger);
  startSampler({ vzroot: config.vzroot, logger });
  startShapingKeeper(config.vzroot, (ve) => dispatcher.ops.lockVeInternal(ve, 'shaping-keeper'), logger);
  startRebootKeeper({ vzroot: config.vzroot, bridge: config.bridge }, (ve) => dispatcher.ops.lockVeInternal(ve, 'reboot-keeper'), logger);
  logger.info({ socket: config.socket, vzroot: config.vzroot, pid: process.pid, methods: list.length }, 'vzagentd listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, running: dispatcher.ops.size }, 'shutting down');
    dispatcher.beginShutdown();
    const drained = await dispatcher.ops.drain(SHUTDOWN_GRACE_MS);
    if (!drained) logger.warn('operations still running at exit; they will be marked interrupted on restart');
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('unhandledRejection', (e) => logger.error({ err: (e as Error)?.message ?? String(e) }, 'unhandled rejection'));
  process.on('SIGHUP', () => {}); // a closing terminal must not take the daemon down
}

main().catch((e) => {
  process.stderr.write(`vzagentd: ${(e as Error).message}\n`);
  process.exit(1);
});
