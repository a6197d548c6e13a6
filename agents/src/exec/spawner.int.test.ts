// The spawn helper with real programs: exit codes, output, input, signals, timeouts, a helper killed
// mid-run (the caller gets an error, the next call works), and sys/exec's fallback when it keeps dying.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SpawnError, SpawnHelperDied, Spawner, SpawnerPool } from './spawner';
import { run, useSpawner } from '../sys/exec';
import { VeError } from '../sys/errors';

const root = path.resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync('/tmp/h172-spawner-');
const script = path.join(dir, 'vzspawn.mjs');
const orphans: number[] = [];
let sp: Spawner;

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

beforeAll(async () => {
  // Built from the source under test, as agents/build.mjs bundles it (one self-contained ESM file).
  await build({ entryPoints: [path.join(root, 'agents/src/exec/spawn-helper.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: script, logLevel: 'warning' });
  sp = new Spawner({ script });
});

afterAll(async () => {
  useSpawner(undefined);
  await sp?.close();
  for (const pid of orphans) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('Spawner', () => {
  it('returns exit code, stdout and stderr, and passes stdin bytes through', async () => {
    const r = await sp.run('sh', ['-c', 'printf out; printf err >&2; exit 3']);
    expect(r).toMatchObject({ code: 3, signal: null, timedOut: false });
    expect(r.stdout.toString()).toBe('out');
    expect(r.stderr.toString()).toBe('err');
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const cat = await sp.run('cat', [], { input: bytes });
    expect(cat.code).toBe(0);
    expect(cat.stdout.equals(bytes)).toBe(true);
  });

  it('passes env and cwd, and runs many programs at once without mixing their output', async () => {
    const r = await sp.run('sh', ['-c', 'echo "$H172_VAR"; pwd'], { env: { ...process.env, H172_VAR: 'x y' }, cwd: dir });
    expect(r.stdout.toString()).toBe(`x y\n${dir}\n`);
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => sp.run('sh', ['-c', `sleep 0.0${i % 5}; echo ${i}`])));
    expect(many.map((m) => m.stdout.toString().trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('caps captured output but reads it all', async () => {
    const r = await sp.run('head', ['-c', '1000000', '/dev/zero'], { maxOutput: 1000 });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stdout.length).toBeLessThan(1_000_000);
  });

  it('rejects a program that cannot start with SpawnError', async () => {
    await expect(sp.run('/nonexistent/h172-prog', [])).rejects.toBeInstanceOf(SpawnError);
  });

  it('reports a signal death, a timeout and a kill from onSpawn', async () => {
    const sig = await sp.run('sh', ['-c', 'kill -TERM $$']);
    expect(sig).toMatchObject({ code: null, signal: 'SIGTERM', timedOut: false });
    const t0 = Date.now();
    const slow = await sp.run('sleep', ['30'], { timeoutMs: 200 });
    expect(slow).toMatchObject({ signal: 'SIGKILL', timedOut: true });
    expect(Date.now() - t0).toBeLessThan(10_000);
    let seen = 0;
    const killed = await sp.run('sleep', ['30'], { onSpawn: (pid, kill) => { seen = pid; kill(); } });
    expect(seen).toBeGreaterThan(0);
    expect(killed).toMatchObject({ signal: 'SIGKILL', timedOut: false });
  });

  it('fails the running call when the helper is killed, and the next call starts a new helper', async () => {
    await sp.run('true', []);
    const first = sp.pid!;
    let child = 0;
    const p = sp.run('sleep', ['30'], { onSpawn: (pid) => { child = pid; orphans.push(pid); } });
    while (!child) await new Promise((r) => setTimeout(r, 10));
    process.kill(first, 'SIGKILL');
    await expect(p).rejects.toBeInstanceOf(SpawnHelperDied);
    const next = await sp.run('echo', ['again']);
    expect(next.stdout.toString()).toBe('again\n');
    expect(sp.pid).toBeDefined();
    expect(sp.pid).not.toBe(first);
  });
});

describe('SpawnerPool', () => {
  it('spreads parallel programs over its helpers and keeps working when one is killed', async () => {
    const pool = new SpawnerPool([new Spawner({ script }), new Spawner({ script })]);
    try {
      const outs = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run('sh', ['-c', `sleep 0.2; echo ${i}`])));
      expect(outs.map((o) => o.stdout.toString().trim())).toEqual(['0', '1', '2', '3', '4', '5']);
      const pids = pool.members.map((m) => m.pid);
      expect(pids.every((p) => p !== undefined)).toBe(true);
      expect(new Set(pids).size).toBe(2);
      process.kill(pids[0]!, 'SIGKILL');
      while (pool.members[0].pid === pids[0]) await new Promise((r) => setTimeout(r, 10));
      const again = await Promise.all(Array.from({ length: 4 }, (_, i) => pool.run('echo', [String(i)])));
      expect(again.map((o) => o.stdout.toString())).toEqual(['0\n', '1\n', '2\n', '3\n']);
    } finally {
      await pool.close();
    }
  });
});

describe('sys/exec run through the spawner', () => {
  it('keeps run()’s contract: throws VeError on failure, allowFail returns, helper death is an error', async () => {
    useSpawner(sp);
    expect((await run('echo', ['via helper'])).stdout).toBe('via helper\n');
    await expect(run('sh', ['-c', 'echo bad >&2; exit 4'])).rejects.toThrow(/sh -c failed \(exit 4\): bad/);
    expect((await run('sh', ['-c', 'exit 4'], { allowFail: true })).code).toBe(4);
    await expect(run('sleep', ['30'], { timeoutMs: 100 })).rejects.toThrow(/timed out after 100 ms/);
    await expect(run('/nonexistent/h172-prog', [])).rejects.toThrow(/cannot run \/nonexistent\/h172-prog/);
    let child = 0;
    const p = run('sleep', ['30'], { onSpawn: (pid) => { child = pid; orphans.push(pid); } });
    while (!child) await new Promise((r) => setTimeout(r, 10));
    process.kill(sp.pid!, 'SIGKILL');
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VeError);
    expect((e as VeError).message).toMatch(/spawn helper died/);
    expect((await run('echo', ['ok'])).stdout).toBe('ok\n');
  });

  it('falls back to child_process in this process while the helper keeps dying', async () => {
    const broken = new Spawner({ script: 'h172-never-runs', nodeArgs: ['-e', 'process.exit(7)'] }); // a helper that dies at start
    try {
      useSpawner(broken);
      const errors: unknown[] = [];
      for (let i = 0; i < 3; i++) errors.push(await broken.run('true', []).catch((x: unknown) => x));
      expect(errors.every((x) => x instanceof SpawnHelperDied)).toBe(true);
      expect(broken.usable).toBe(false);
      expect((await run('echo', ['fallback'])).stdout).toBe('fallback\n');
    } finally {
      useSpawner(undefined);
      await broken.close();
    }
  });
});
