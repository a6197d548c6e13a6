// A TCP connection held open from outside a VE survives its online migration both ways (issue 13),
// on a node pair of its own: run after other CRIU migrations on the same pair, the restore on the
// target once failed ("24 exited, status=1"); see the issue note.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setupMigEnv, type MigEnv } from '@/test/fixtures/migration-env';
import { inVe, migrateOnline, startCounter } from '@/test/fixtures/criu-ve';
import { clientNet, echoOnce, holdConnection } from '@/test/fixtures/tcp-held';

// Checkpointable VEs have no console (LXC 5.0.2 cannot restore one that has); the nodes' daemons inherit this.
process.env.VZ_VE_CONSOLE_LOG = 'off';

let env: MigEnv;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const migrate = (veId: string, targetNodeId: string) => migrateOnline(env, veId, targetNodeId);

beforeAll(async () => {
  env = await setupMigEnv({ net: '10.199.75' });
}, 300_000);

afterAll(async () => {
  await env?.close();
}, 120_000);

describe('online migration with CRIU and an open TCP connection', () => {
  it('a TCP connection held from outside survives the live migration both ways; the listening server keeps serving', async () => {
    const v = await env.ve(1, { smallFiles: 20 });
    await startCounter(env.A, v.ctid);
    // an echo server: one listener, a forked `cat` per connection (its own session inside the VE)
    await inVe(env.A, v.ctid, 'setsid nc -ll -p 7000 -e cat </dev/null >/dev/null 2>&1 &');
    const net = await clientNet(env.A.bridge, env.B.bridge, '10.199.75.253/24');
    const dir = mkdtempSync('/tmp/cr-tcp-');
    const held = holdConnection(net.ns, v.ip, 7000, path.join(dir, 'echoes'));
    try {
      for (let i = 0; i < 100 && (await held.echoes()).length < 5; i++) await sleep(200);
      expect(await held.error()).toBeUndefined();
      expect((await held.echoes()).length).toBeGreaterThanOrEqual(5);
      for (const [from, to, toNode] of [[env.A, env.B, env.nodeB], [env.B, env.A, env.nodeA]] as const) {
        const before = Number(await inVe(from, v.ctid, 'cat /tmp/count'));
        const t = await migrate(v.veId, toNode.id);
        expect(t.error ?? '').toBe('');
        expect((t.result as { mode: string }).mode).toBe('online-criu');
        const n0 = (await held.echoes()).length;
        await sleep(1500);
        // the same connection goes on echoing: no reset, no gap in the sequence
        expect(await held.error()).toBeUndefined();
        const echoes = await held.echoes();
        expect(echoes.length).toBeGreaterThan(n0);
        expect(echoes.map((e) => e.n)).toEqual(echoes.map((_, i) => i + 1));
        const gap = Math.max(...echoes.slice(1).map((e, i) => e.at - echoes[i].at));
        console.log(`[criu-tcp] ${from.name} -> ${to.name}: pause ${(t.result as { pauseMs: number }).pauseMs} ms, longest echo gap ${Math.round(gap * 1000)} ms`);
        // the listener accepts new connections on the target
        expect(await echoOnce(net.ns, v.ip, 7000, `hello-${to.name}`)).toBe(`hello-${to.name}`);
        expect(Number(await inVe(to, v.ctid, 'cat /tmp/count'))).toBeGreaterThanOrEqual(before);
      }
    } finally {
      held.proc.kill('SIGKILL');
      await net.remove();
      await rm(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
