// Node preparation when the daemon starts, and OpenVZ-style autostart of ONBOOT VEs after a host boot.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ensureNodePrereqs } from '../setup/node-prereqs';
import { ensureBridge } from '../net/bridge';
import { refreshPortPolicies, startOnbootVes } from '../lxc/onboot';
import { loadAddressIndex } from '../lxc/address-index';
import type { AgentConfig } from './config';
import type { Logger } from 'pino';

const BOOT_ID = '/proc/sys/kernel/random/boot_id';

/**
 * True once per host boot: a daemon restart (upgrade, crash) must not start VEs an admin stopped,
 * but the first start after the machine booted must start every ONBOOT VE.
 */
async function firstStartSinceBoot(vzroot: string): Promise<boolean> {
  const bootId = (await readFile(BOOT_ID, 'utf8').catch(() => '')).trim();
  const marker = path.join(vzroot, 'run', 'boot_id');
  const seen = (await readFile(marker, 'utf8').catch(() => '')).trim();
  if (bootId && bootId === seen) return false;
  await mkdir(path.dirname(marker), { recursive: true });
  await writeFile(marker, `${bootId}\n`);
  return true;
}

export async function bootTasks(config: AgentConfig, logger: Logger): Promise<void> {
  try {
    await ensureNodePrereqs();
    await ensureBridge(config.bridge, process.env.VZ_BRIDGE_ADDR || undefined);
  } catch (e) {
    logger.error({ err: (e as Error).message }, 'node preparation failed; VEs may not start');
  }
  const rt = { vzroot: config.vzroot, bridge: config.bridge, networks: [] as string[] };
  // One read of every conf now, so no create pays for it (the address check is an index after this).
  await loadAddressIndex(config.vzroot).catch((e) => logger.error({ err: (e as Error).message }, 'address index not built; the first create builds it'));
  const stale = await refreshPortPolicies(rt).catch((e) => [{ ctid: 0, error: (e as Error).message }]);
  if (stale.length) logger.error({ failed: stale }, 'port filters of running VEs not refreshed');
  if (!(await firstStartSinceBoot(config.vzroot))) return;
  const { started, failed } = await startOnbootVes(rt).catch((e) => ({ started: [], failed: [{ ctid: 0, error: (e as Error).message }] }));
  if (started.length || failed.length) logger.info({ started, failed }, 'onboot autostart');
}
