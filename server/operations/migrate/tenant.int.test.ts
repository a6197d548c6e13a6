// A hostile tenant against the migration of its running VE: files flipping into FIFOs or symlinks to
// /dev/zero while the host reads the tree (rsync's first pass, the manifest warm-up) must not hang it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setupMigEnv, sh, type MigEnv } from '@/test/fixtures/migration-env';
import { requestMigrateVe } from '.';

// The two-pass migration of a 64 MiB VE takes ~30 s here (minutes on a loaded box); a hang never ends.
const LIMIT_MS = 300_000;
let env: MigEnv;

beforeAll(async () => { env = await setupMigEnv(); }, 300_000);
afterAll(async () => env?.close(), 120_000);

/** Resolves once the first pass has its file list and sends data (its first file lands on the target). */
async function firstPassSending(ctid: number, ms = LIMIT_MS): Promise<void> {
  const dir = path.join(env.B.vzroot, 'root', String(ctid), 'data');
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    if ((await readdir(dir).catch(() => [] as string[])).some((n) => n.startsWith('big-'))) return;
  }
  throw new Error('the first pass never started sending');
}

/**
 * The tenant's trick, as soon as the host has listed its files: /data/small/f1..f8 flip between their
 * content and a `make`d twin (a FIFO, a symlink) by atomic renames and hard links made after the
 * listing, so no listed file ever vanishes; each is the trick about half the time, until the freeze.
 */
async function flipFilesOnceListed(v: { ctid: number; root: string }, make: string) {
  const ids = '1 2 3 4 5 6 7 8';
  const loop = [
    'cd /data/small',
    `for i in ${ids}; do ln f$i r$i; ${make}; done`,
    `while :; do for i in ${ids}; do mv t$i f$i; ln f$i t$i; done; for i in ${ids}; do ln r$i k$i; mv k$i f$i; done; done`,
  ].join('; ');
  await firstPassSending(v.ctid);
  await sh('lxc-attach', ['-n', String(v.ctid), '-P', env.A.lxcpath, '--', 'sh', '-c', `(${loop}) </dev/null >/dev/null 2>&1 &`]);
}

async function migrateWithin(v: Awaited<ReturnType<MigEnv['ve']>>, make: string) {
  const t0 = Date.now();
  // 16 MB/s: the first pass takes a few seconds, time for the tenant to start its trick while it reads.
  const { taskId } = await requestMigrateVe(env.db.prisma, {}, v.veId, { targetNodeId: env.nodeB.id, keepHours: 0.003, bwlimitKBps: 16_000 });
  await flipFilesOnceListed(v, make);
  const t = await env.waitTask(taskId!, LIMIT_MS);
  const log = (await env.taskLog(t.id)).join(' / ');
  // Completes, or fails before commit with the VE back to running on the source and nothing on the target.
  if (t.status !== 'succeeded') {
    expect(t.status, log).toBe('failed');
    expect(log).toMatch(/migration failed before commit/);
    expect(await env.lxcState(env.A, v.ctid)).toBe('RUNNING');
    expect(await env.db.prisma.ve.findUniqueOrThrow({ where: { id: v.veId } })).toMatchObject({ nodeId: env.nodeA.id, state: 'running' });
    await env.expectNothingOn(env.B, v.ctid);
  } else {
    expect(await env.lxcState(env.B, v.ctid)).toBe('RUNNING');
  }
  return { status: t.status, ms: Date.now() - t0, log };
}

describe('migrating a VE whose tenant plays tricks on the copy', () => {
  it('files turning into FIFOs: the migration ends within its limit', async () => {
    const v = await env.ve(64);
    const r = await migrateWithin(v, 'mkfifo t$i');
    console.log(`[tenant-migrate] fifo: ${r.status} in ${r.ms} ms: ${r.log}`);
  }, LIMIT_MS + 60_000);

  it('files turning into symlinks to /dev/zero: the migration ends within its limit', async () => {
    const v = await env.ve(64);
    const r = await migrateWithin(v, 'ln -s /dev/zero t$i');
    console.log(`[tenant-migrate] /dev/zero: ${r.status} in ${r.ms} ms: ${r.log}`);
  }, LIMIT_MS + 60_000);
});
