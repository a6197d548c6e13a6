// The bridge-less socket transport (simulated fleets): the real agent protocol over the daemon's
// unix socket, here a fake agent's: the handshake, a power verb with its progress notices, and a
// node without a daemon reported as offline.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeAgent } from '@/test/fixtures/fake-agent';
import { AgentClient } from './client';
import { SocketTransport } from './socket';

const vzroot = mkdtempSync(path.join(os.tmpdir(), 'vz-socket-transport-'));
afterAll(() => rmSync(vzroot, { recursive: true, force: true }));

describe('socket transport', () => {
  it('speaks the agent protocol without a bridge process, and reports a node without a daemon as offline', async () => {
    const agent = await startFakeAgent({ vzroot, powerMs: 400, ves: [{ ctid: 4101, hostname: 'a.test', status: 'stopped' }] });
    const client = new AgentClient(new SocketTransport(agent.socket), { maxAttempts: 1, readTimeoutMs: 5000, mutatingTimeoutMs: 5000 });
    try {
      expect((await client.hello()).hostname).toBe(path.basename(vzroot));
      const progress: number[] = [];
      const r = await client.call('ve.start', { ctid: 4101 }, { opId: 'socket-test-1', onNotification: (n) => { if (n.method === 'progress') progress.push(Number((n.params as { pct: number }).pct)); } });
      expect(r).toMatchObject({ ctid: 4101, status: 'running' });
      expect(progress.at(-1)).toBe(100);
      expect(agent.ves.get(4101)?.status).toBe('running');
      // A node whose daemon is not there (no socket) is offline, not an internal error.
      const gone = new AgentClient(new SocketTransport(path.join(vzroot, 'nowhere.sock')), { maxAttempts: 1, readTimeoutMs: 5000 });
      await expect(gone.call('node.info', {})).rejects.toMatchObject({ code: 'NODE_OFFLINE' });
      await gone.close();
    } finally {
      await client.close();
      await agent.close();
    }
  });
});
