import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { deleteBridge } from '@/agents/src/net/bridge';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { closeAll } from '@/server/nodes/pool';
import { ensureLocalNode, getNodeByName } from '@/server/services/nodes';
import { startNodeMonitor, type NodeMonitor } from './node-monitor';

// A real vzagentd on its own vzroot: the monitor must store what the machine really reports.
const vzroot = `/tmp/vz-mon-${randomBytes(4).toString('hex')}`;
const bridge = `vzm${randomBytes(3).toString('hex')}`;
let db: TestDatabase;
let daemon: LocalDaemon | undefined;
let monitor: NodeMonitor | undefined;

beforeAll(async () => {
  mkdirSync(vzroot, { recursive: true });
  db = await createTestDatabase();
  daemon = await ensureLocalDaemon({ vzroot, bridge });
});
afterAll(async () => {
  await monitor?.stop();
  await closeAll();
  await daemon?.stop('SIGKILL');
  await db?.drop();
  await deleteBridge(bridge); // the daemon made it at start; every earlier run of this file left one behind
  rmSync(vzroot, { recursive: true, force: true });
});

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('node monitor', () => {
  it('marks the local node online with its real figures, and offline once the agent is gone', async () => {
    await ensureLocalNode(db.prisma, { vzroot });
    await ensureLocalNode(db.prisma, { vzroot }); // a second start registers nothing new
    expect(await db.prisma.node.count()).toBe(1);
    monitor = startNodeMonitor({ prisma: db.prisma, intervalMs: 300, offlineAfterMs: 1_000, callTimeoutMs: 2_000 });

    const online = await waitFor(() => getNodeByName(db.prisma, 'local'), (n) => n.state === 'online');
    expect(online.state).toBe('online');
    expect(online.info?.memory.totalBytes).toBe(os.totalmem());
    expect(online.info?.cpus).toBe(os.cpus().length);
    expect(online.capabilities?.cgroup).toMatch(/^v[12]$/);
    expect(online.capabilities?.agentVersion).toBeTruthy();
    expect(online.lastSeenAt).toBeInstanceOf(Date);

    await daemon!.stop('SIGTERM');
    const offline = await waitFor(() => getNodeByName(db.prisma, 'local'), (n) => n.state === 'offline');
    expect(offline.state).toBe('offline');
    expect(offline.stateReason).toBeTruthy();
    // The last figures stay visible while it is offline.
    expect(offline.info?.memory.totalBytes).toBe(os.totalmem());
  });
});
