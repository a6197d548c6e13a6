// The node bridge VEs plug into. Tests create their own (no uplink, no NAT); real nodes configure theirs.
import { readFile } from 'node:fs/promises';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { parseCidr } from '../config/net-addr';

export const BRIDGE_RE = /^[a-zA-Z][a-zA-Z0-9_-]{0,14}$/;

export async function bridgeExists(name: string): Promise<boolean> {
  return (await run('ip', ['link', 'show', 'dev', name], { allowFail: true })).code === 0;
}

/** Bridge exists and is administratively up, read from sysfs (no program run, never stale). */
async function bridgeUp(name: string): Promise<boolean> {
  const bridged = await readFile(`/sys/class/net/${name}/bridge/bridge_id`, 'utf8').then(() => true, () => false);
  const flags = bridged ? Number(await readFile(`/sys/class/net/${name}/flags`, 'utf8').catch(() => '0')) : 0;
  return (flags & 1) === 1; // IFF_UP
}

/** Create the bridge if missing and bring it up; optionally give the host an address on it. */
export async function ensureBridge(name: string, hostAddr?: string): Promise<void> {
  if (!BRIDGE_RE.test(name)) throw new VeError('BAD_PARAMS', `bad bridge name ${name}`);
  // Per-start fast path: already a bridge and up, nothing to do.
  if (!hostAddr && (await bridgeUp(name))) return;
  if (!(await bridgeExists(name))) {
    const r = await run('ip', ['link', 'add', 'name', name, 'type', 'bridge'], { allowFail: true });
    if (r.code !== 0 && !(await bridgeExists(name))) throw new VeError('INTERNAL', `cannot create bridge ${name}: ${r.stderr.trim()}`);
  }
  await run('ip', ['link', 'set', 'dev', name, 'up']);
  if (hostAddr) {
    const c = parseCidr(hostAddr);
    if (!c) throw new VeError('BAD_PARAMS', `bad address ${hostAddr}`);
    const have = (await run('ip', ['-o', 'addr', 'show', 'dev', name])).stdout;
    if (!have.includes(` ${c.addr}/`)) await run('ip', ['addr', 'add', `${c.addr}/${c.prefix}`, 'dev', name]);
  }
}

export async function deleteBridge(name: string): Promise<void> {
  if (await bridgeExists(name)) await run('ip', ['link', 'del', 'dev', name], { allowFail: true });
}
