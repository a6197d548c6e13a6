// Test support: a throwaway node (vzroot, bridge, busybox template) that cleans up everything it made.
import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { buildBusyboxTemplate } from '../templates/busybox';
import { importTemplate } from '../templates/cache';
import { deletePolicyTable } from '../net/antispoof';
import { deleteBridge, ensureBridge } from '../net/bridge';
import { deleteOverflowBridges } from '../net/overflow';
import { ensureNodePrereqs } from '../setup/node-prereqs';
import { detachLeftoverLoops, unmountImage } from '../storage/image';
import { run } from '../sys/exec';
import { vePaths } from '../sys/paths';
import type { Runtime } from './runtime';

export interface TestNode extends Runtime {
  /** A fresh random ctid in the node's range (9000-9999 by default, + laneCtidOffset) not used by this node yet. */
  ctid(): number;
  /** <net>.<n>/24 (10.199.3 by default), unique within this node. */
  ip(): string;
  cleanup(): Promise<void>;
}

/** Where a test node's names come from, so parallel suites can keep to their own ctids, bridges and addresses. */
export interface TestNodeOptions {
  /** First of `ctidCount` (default 1000) ctids to pick from. */
  ctidBase?: number;
  ctidCount?: number;
  /** Bridge name prefix (a random hex suffix is added; at most 11 characters). */
  bridgePrefix?: string;
  /** First three octets of the VEs' /24. */
  net?: string;
  /** Temp dir prefix for the vzroot. */
  tmpPrefix?: string;
}

/**
 * CTIDs are host-wide (LXC names, veth devices, MACs), and `./vz test` runs the second node lane
 * (VZ_TEST_LANE=node2, test/lanes.ts) beside the first: its test nodes take ctids this much higher
 * than the ones the files name, so a file moved between the lanes can never meet one still in the other.
 */
export const laneCtidOffset = (env: NodeJS.ProcessEnv = process.env): number => (env.VZ_TEST_LANE === 'node2' ? 300_000 : 0);

export async function makeTestNode(o: TestNodeOptions = {}): Promise<TestNode> {
  await ensureNodePrereqs();
  const vzroot = mkdtempSync(o.tmpPrefix ?? '/tmp/vz-rt-');
  const bridge = `${o.bridgePrefix ?? 'vzrt'}${randomBytes(2).toString('hex')}`;
  await ensureBridge(bridge);
  const t = await buildBusyboxTemplate(path.join(vzroot, 'build'));
  await importTemplate(vzroot, t.tarball, t.manifest);
  const used = new Set<number>();
  const ctidBase = (o.ctidBase ?? 9000) + laneCtidOffset();
  let host = 10;
  return {
    vzroot, bridge, networks: ['10.199.0.0/16'],
    ctid() {
      for (;;) {
        const c = ctidBase + Math.floor(Math.random() * (o.ctidCount ?? 1000));
        if (!used.has(c)) { used.add(c); return c; }
      }
    },
    ip: () => `${o.net ?? '10.199.3'}.${host++}/24`,
    cleanup: () => cleanupVzroot(vzroot, bridge),
  };
}

/** Stops every container of a test vzroot, unmounts and detaches its images, removes its bridge and the folder. */
export async function cleanupVzroot(vzroot: string, bridge: string): Promise<void> {
  const lxcpath = path.join(vzroot, 'lxc');
  for (const d of await readdir(lxcpath).catch(() => [] as string[])) {
    await run('lxc-stop', ['-n', d, '-P', lxcpath, '-k'], { allowFail: true });
  }
  for (const d of await readdir(path.join(vzroot, 'private')).catch(() => [] as string[])) {
    if (!/^\d+$/.test(d)) continue;
    const p = vePaths(vzroot, Number(d));
    await unmountImage(p.image, p.root).catch(() => undefined);
  }
  // One listing of the loop devices for all of them (`losetup -j` per image reads every device: O(N^2)).
  await detachLeftoverLoops(vzroot);
  await deletePolicyTable(bridge);
  await deleteOverflowBridges(bridge);
  await deleteBridge(bridge);
  await rm(vzroot, { recursive: true, force: true });
}
