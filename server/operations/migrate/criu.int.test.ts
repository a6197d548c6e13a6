// Online migration with CRIU between two real nodes (issue 13): processes and memory move, the pause
// is measured, limits are equal on both sides, and a failed restore on the target resumes the VE on the source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setupMigEnv, sh, type MigEnv } from '@/test/fixtures/migration-env';
import type { MigTestNode } from '@/test/fixtures/migration-nodes';
import { inVe as inVeOf, migrateOnline, startCounter } from '@/test/fixtures/criu-ve';
import { migrationHooks, requestMigrateVe } from '.';
import { agentOf } from './plan';

// Checkpointable VEs have no console (LXC 5.0.2 cannot restore one that has); the nodes' daemons inherit this.
process.env.VZ_VE_CONSOLE_LOG = 'off';

let env: MigEnv;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const inVe = (n: MigTestNode, ctid: number, script: string) => inVeOf(n, ctid, script);
const cg = async (n: MigTestNode, ctid: number, key: string) => (await sh('lxc-cgroup', ['-n', String(ctid), '-P', n.lxcpath, key])).stdout.trim();
const limits = async (n: MigTestNode, ctid: number) => [await cg(n, ctid, 'memory.limit_in_bytes'), await cg(n, ctid, 'pids.max')];
const migrate = (veId: string, targetNodeId: string, o: { retryTwoPass?: boolean } = {}) => migrateOnline(env, veId, targetNodeId, o);

beforeAll(async () => {
  env = await setupMigEnv({ net: '10.199.78' });
}, 300_000);

afterAll(async () => {
  await env?.close();
}, 120_000);

describe('online migration with CRIU', () => {
  it('moves a running VE there and back: the counting loop continues, limits are equal, the pause is recorded', async () => {
    const v = await env.ve(1, { smallFiles: 20 });
    await startCounter(env.A, v.ctid);
    const pid = await inVe(env.A, v.ctid, 'cat /tmp/loop.pid');
    const limA = await limits(env.A, v.ctid);
    const dry = await requestMigrateVe(env.db.prisma, {}, v.veId, { targetNodeId: env.nodeB.id, dryRun: true });
    expect(dry.plan).toMatchObject({ mode: 'online-criu', status: 'running' });

    for (const [from, to, toNode] of [[env.A, env.B, env.nodeB], [env.B, env.A, env.nodeA]] as const) {
      const before = Number(await inVe(from, v.ctid, 'cat /tmp/count'));
      const t = await migrate(v.veId, toNode.id);
      expect(t.error ?? '').toBe('');
      expect(t.status).toBe('succeeded');
      const res = t.result as { mode: string; pauseMs: number; timings: Array<{ phase: string; ms: number }> };
      expect(res.mode).toBe('online-criu');
      expect(res.timings.map((x) => x.phase)).toEqual(['pre-flight', 'copy-while-running', 'checkpoint', 'final-copy', 'verify', 'restore-on-target', 'commit', 'start-on-target', 'cleanup']);
      expect(res.pauseMs).toBeGreaterThan(0);
      console.log(`[criu-migrate] ${from.name} -> ${to.name}: pause ${res.pauseMs} ms; ${JSON.stringify(res.timings)}`);
      expect(await env.lxcState(to, v.ctid)).toBe('RUNNING');
      expect(await env.lxcState(from, v.ctid)).not.toMatch(/RUNNING|FROZEN/);
      // the same process, continuing from its value
      expect(await inVe(to, v.ctid, 'cat /tmp/loop.pid')).toBe(pid);
      const after = Number(await inVe(to, v.ctid, 'cat /tmp/count'));
      expect(after).toBeGreaterThanOrEqual(before);
      await sleep(400);
      expect(Number(await inVe(to, v.ctid, 'cat /tmp/count'))).toBeGreaterThan(after);
      expect(await limits(to, v.ctid)).toEqual(limA);
      expect(await inVe(to, v.ctid, 'ls -a /')).not.toContain('.vzpanel-criu-dump');
    }
  }, 600_000);

  it('a restore that fails on the target resumes the VE on the source, and the task says why', async () => {
    const v = await env.ve(1, { smallFiles: 20 });
    await startCounter(env.A, v.ctid);
    const pid = await inVe(env.A, v.ctid, 'cat /tmp/loop.pid');
    migrationHooks.beforeRestore = async ({ targetRoot }) => {
      // a dump the target cannot restore: the VE's process tree is gone from it
      await rm(path.join(targetRoot, '.vzpanel-criu-dump', 'pstree.img'), { force: true });
    };
    try {
      const t = await migrate(v.veId, env.nodeB.id);
      expect(t.status).toBe('failed');
      expect(t.error).toMatch(/restore of VE \d+ failed|no checkpoint/);
      expect((await env.taskLog(t.id)).join('\n')).toMatch(/restored from its dump on .*keeps running there/);
    } finally {
      migrationHooks.beforeRestore = undefined;
    }
    expect(await env.lxcState(env.A, v.ctid)).toBe('RUNNING');
    expect(await inVe(env.A, v.ctid, 'cat /tmp/loop.pid')).toBe(pid);
    const c = Number(await inVe(env.A, v.ctid, 'cat /tmp/count'));
    await sleep(400);
    expect(Number(await inVe(env.A, v.ctid, 'cat /tmp/count'))).toBeGreaterThan(c);
    await env.expectNothingOn(env.B, v.ctid);
    const ve = await env.db.prisma.ve.findUniqueOrThrow({ where: { id: v.veId } });
    expect(ve.nodeId).toBe(env.nodeA.id);
    expect((await agentOf(env.nodeA).call('ve.status', { ctid: v.ctid })).status).toBe('running');
  }, 600_000);

  it('a live migration CRIU refuses leaves the VE running on the source; allowed, the task retries two-pass and records both attempts', async () => {
    const v = await env.ve(1, { smallFiles: 20 });
    await startCounter(env.A, v.ctid);
    // Started by a plain lxc-attach (no setsid): its session leader is outside the VE's pid namespace, and CRIU refuses to dump it.
    await inVe(env.A, v.ctid, 'sleep 600 </dev/null >/dev/null 2>&1 &');
    const pid = await inVe(env.A, v.ctid, 'cat /tmp/loop.pid');

    const refused = await migrate(v.veId, env.nodeB.id);
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/checkpoint of VE \d+ failed: .*session leader/i);
    expect((await env.taskLog(refused.id)).join('\n')).toMatch(/kept running on .*CRIU left it running/);
    expect(await env.lxcState(env.A, v.ctid)).toBe('RUNNING');
    expect(await inVe(env.A, v.ctid, 'cat /tmp/loop.pid')).toBe(pid);
    expect((await env.db.prisma.ve.findUniqueOrThrow({ where: { id: v.veId } })).state).toBe('running');
    await env.expectNothingOn(env.B, v.ctid);

    const before = Number(await inVe(env.A, v.ctid, 'cat /tmp/count'));
    const t = await migrate(v.veId, env.nodeB.id, { retryTwoPass: true });
    expect(t.error ?? '').toBe('');
    expect(t.status).toBe('succeeded');
    const res = t.result as { mode: string; retriedFrom: { mode: string; error: string }; attempts: Array<{ mode: string; error?: string; timings: Array<{ phase: string }> }> };
    expect(res.mode).toBe('two-pass');
    expect(res.retriedFrom).toMatchObject({ mode: 'online-criu', error: expect.stringMatching(/checkpoint of VE \d+ failed/) });
    expect(res.attempts.map((a) => a.mode)).toEqual(['online-criu', 'two-pass']);
    expect(res.attempts[0].timings.map((x) => x.phase)).toEqual(['pre-flight', 'copy-while-running', 'checkpoint']);
    expect(res.attempts[1].timings.map((x) => x.phase)).toEqual(['pre-flight', 'copy-while-running', 'freeze', 'final-copy', 'verify', 'commit', 'start-on-target', 'cleanup']);
    const log = (await env.taskLog(t.id)).join('\n');
    expect(log).toMatch(/live migration failed: checkpoint of VE \d+ failed.*retrying in two-pass mode/);
    expect(log).toMatch(/phase two-pass retry: freeze/);
    // two-pass restarts the VE on the target: the files came along, the processes started afresh
    expect(await env.lxcState(env.B, v.ctid)).toBe('RUNNING');
    expect(await env.lxcState(env.A, v.ctid)).not.toMatch(/RUNNING|FROZEN/);
    expect(Number(await inVe(env.B, v.ctid, 'cat /tmp/count'))).toBeGreaterThanOrEqual(before);
    const ve = await env.db.prisma.ve.findUniqueOrThrow({ where: { id: v.veId } });
    expect(ve.nodeId).toBe(env.nodeB.id);
    expect(ve.state).toBe('running');
  }, 600_000);
});
