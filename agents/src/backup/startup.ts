// The daemon's startup pass for backups: nothing stays frozen, mounted or half-swapped after a crash.
import type { Logger } from 'pino';
import { runtimeOf } from '../lxc/from-ctx';
import { startVe, veStatus } from '../lxc/power';
import type { AgentConfig } from '../daemon/config';
import { Undo } from '../sys/undo';
import { settleLeftovers } from './work';

/** Settles what a killed agent left (backup/work.ts), then starts the VEs a rolled-forward restore had stopped. */
export async function settleBackupsOnStartup(config: AgentConfig, logger: Logger): Promise<void> {
  const restart = await settleLeftovers(config.vzroot, logger).catch((e: unknown) => {
    logger.error({ err: (e as Error).message }, 'backup startup cleanup failed');
    return [] as number[];
  });
  const rt = runtimeOf({ vzroot: config.vzroot, config, progress: () => {}, log: () => {} });
  for (const ctid of restart) {
    if ((await veStatus(rt, ctid)).status === 'running') continue;
    await startVe(rt, ctid, new Undo()).catch((e: unknown) => logger.error({ ctid, err: (e as Error).message }, 'could not start a VE after finishing its restore'));
  }
}
