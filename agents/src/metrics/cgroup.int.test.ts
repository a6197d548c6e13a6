// The sampler's cgroup reader on real cgroups: counters read through held files keep growing,
// a removed and recreated cgroup (a VE restart) reads as a new incarnation from 0, a removed one
// as stopped, and past its fd budget or after a sweep nothing stays open.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostFacts } from '../lxc/host-facts';
import { CgroupReader } from './cgroup';

const v2 = hostFacts().version === 'v2';
const ROOT = '/sys/fs/cgroup';
const CTRLS = ['cpu', 'cpuacct', 'memory', 'blkio', 'pids'];
const name = `hs-cgtest-${process.pid}`;
const dirs = () => (v2 ? [path.join(ROOT, name)] : CTRLS.map((c) => path.join(ROOT, c, name)));
const make = () => dirs().forEach((d) => mkdirSync(d));
const remove = () => dirs().forEach((d) => { try { rmdirSync(d); } catch { /* not made */ } });
let child: ChildProcess | undefined;

/** A shell moved into the cgroup that burns CPU once told to, until it is killed (a short burst could end
 *  between the test's first and second read, and then the counter had no reason to grow). */
async function busyChild() {
  child = spawn('sh', ['-c', 'read x; while :; do :; done'], { stdio: ['pipe', 'ignore', 'ignore'] });
  for (const d of dirs()) writeFileSync(path.join(d, 'cgroup.procs'), String(child.pid));
  child.stdin!.write('go\n');
}
async function killChild() {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child!.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}
async function until<T>(f: () => T | undefined, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 50))) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
  }
}

beforeAll(() => make());
afterAll(async () => {
  await killChild();
  remove();
});

describe('cgroup reader', () => {
  const reader = new CgroupReader(v2);
  const ctid = 62_999;
  let firstId = '';

  it('reads counters through files it keeps open, and they keep growing', async () => {
    await busyChild();
    const a = await until(() => { const r = reader.read(ctid, name); return r && r.raw.cpuNs > 0 ? r : undefined; });
    expect(a.raw.pids).toBe(1);
    expect(reader.fdsHeld).toBeGreaterThanOrEqual(8);
    const held = reader.fdsHeld;
    const b = await until(() => { const r = reader.read(ctid, name); return r && r.raw.cpuNs > a.raw.cpuNs ? r : undefined; });
    expect(b.id).toBe(a.id);
    expect(reader.fdsHeld).toBe(held); // read again, not opened again
    firstId = a.id;
  }, 60_000);

  it('reads a recreated cgroup (a VE restart) as a new incarnation counting from 0', async () => {
    await killChild();
    remove();
    make();
    const r = reader.read(ctid, name);
    expect(r).toBeDefined();
    expect(r!.id).not.toBe(firstId);
    expect(r!.raw.cpuNs).toBe(0);
    expect(r!.raw.pids).toBe(0);
  });

  it('reads a removed cgroup as stopped, and a sweep closes what it held', () => {
    expect(reader.fdsHeld).toBeGreaterThan(0);
    remove();
    expect(reader.read(ctid, name)).toBeUndefined();
    expect(reader.fdsHeld).toBe(0);
    make();
    expect(reader.read(ctid, name)).toBeDefined();
    reader.sweep(new Set());
    expect(reader.fdsHeld).toBe(0);
  });

  it('past its fd budget reads each time without holding files', () => {
    const small = new CgroupReader(v2, 4);
    expect(small.read(ctid, name)?.raw.pids).toBe(0);
    expect(small.fdsHeld).toBe(0);
  });
});
