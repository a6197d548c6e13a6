// Two-pass migration whose final pass sends only what changed since the first pass began (issue 15),
// between two real nodes (LXC, vzagentd, sshd, rsync, Postgres): what changed during and after the
// first copy arrives, and a change list the source agent cannot trust gives way to the full rescan.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { killMigDaemon, restartMigDaemon } from '@/test/fixtures/migration-nodes';
import { setupMigEnv, type MigEnv } from '@/test/fixtures/migration-env';
import { migrationHooks, requestMigrateVe } from '.';

const MiB = 2 ** 20;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
type Pass = { pass: number; filesTransferred: number; selection?: { mode: string; listed?: number; entries?: number; reason?: string } };

let env: MigEnv;
beforeAll(async () => { env = await setupMigEnv(); }, 300_000);
afterAll(async () => env?.close(), 120_000);
beforeEach(() => {
  for (const k of Object.keys(migrationHooks) as Array<keyof typeof migrationHooks>) migrationHooks[k] = undefined;
});

/** Writes `body` at `rel` under `root` and records its sum (the expected content on the target). */
async function put(root: string, sums: Map<string, string>, rel: string, body: Buffer) {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), body);
  sums.set(rel, sha(body));
}

describe('two-pass: the final pass sends what changed since the first pass', () => {
  it('a file rewritten after the first pass copied it, a deletion and a renamed folder arrive through the change list', async () => {
    const v = await env.ve(48, { smallFiles: 300 });
    // Sorts before every other name in the root: the first pass copies it first, long before it ends.
    const early = '0early.bin';
    const before = randomBytes(MiB);
    await put(v.root, v.sums, early, before);
    for (const rel of ['data/tree/a/b/c.txt', 'data/tree/a/d.txt', 'data/tree/e.txt']) await put(v.root, v.sums, rel, randomBytes(3000));
    await new Promise((r) => setTimeout(r, 1200)); // older than the baseline's clock slack
    const { taskId } = await requestMigrateVe(env.db.prisma, {}, v.veId, { targetNodeId: env.nodeB.id, bwlimitKBps: 12_000 });

    // While the first pass runs: once the target holds the early file as it was, rewrite it (same size).
    const onTarget = path.join(env.B.vzroot, 'root', String(v.ctid), early);
    for (const end = Date.now() + 120_000; ;) {
      if (Date.now() > end) throw new Error('the first pass never copied the early file');
      const st = await stat(onTarget).catch(() => undefined);
      if (st?.size === MiB && sha(await readFile(onTarget)) === sha(before)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const t1 = await env.db.prisma.task.findUniqueOrThrow({ where: { id: taskId! } });
    expect(t1.message).toBe('copy-while-running'); // still in the first pass
    await put(v.root, v.sums, early, randomBytes(MiB));

    // After the first pass: a deletion and a renamed folder with files two levels down.
    migrationHooks.afterFirstCopy = async () => {
      await unlink(path.join(v.root, 'data/small/f1'));
      v.sums.delete('data/small/f1');
      await rename(path.join(v.root, 'data/tree'), path.join(v.root, 'data/tree2'));
      for (const rel of [...v.sums.keys()].filter((k) => k.startsWith('data/tree/'))) {
        v.sums.set(rel.replace('data/tree/', 'data/tree2/'), v.sums.get(rel)!);
        v.sums.delete(rel);
      }
    };
    const t = await env.waitTask(taskId!);
    const log = await env.taskLog(taskId!);
    expect(t.status, `${t.error}: ${log.join(' / ')}`).toBe('succeeded');
    const passes = (t.result as { passes: Pass[] }).passes;
    expect(passes[1].selection).toMatchObject({ mode: 'changed' });
    // the list names a handful of entries out of the whole tree, not the tree
    expect(passes[1].selection!.listed).toBeGreaterThan(0);
    expect(passes[1].selection!.listed).toBeLessThan(20);
    expect(passes[1].selection!.entries).toBeGreaterThan(300);
    expect(log.join('\n')).toMatch(/pass 2: .*changed since pass 1: \d+ of \d+ entries listed/);

    const rootB = path.join(env.B.vzroot, 'root', String(v.ctid));
    expect(await env.badFiles(rootB, v.sums)).toEqual([]);
    expect(sha(await readFile(path.join(rootB, early)))).not.toBe(sha(before));
    expect(existsSync(path.join(rootB, 'data/small/f1'))).toBe(false);
    expect(existsSync(path.join(rootB, 'data/tree'))).toBe(false);
    expect(await readFile(path.join(rootB, 'data/tree2/a/b/c.txt'))).toHaveLength(3000);
    expect(await env.lxcState(env.B, v.ctid)).toBe('RUNNING');
  }, 300_000);

  it('a source agent restarted between the passes has no baseline: the final pass rescans the whole tree, and the copy is still exact', async () => {
    const v = await env.ve(8, { smallFiles: 200 });
    await new Promise((r) => setTimeout(r, 1200));
    migrationHooks.afterFirstCopy = async () => {
      await killMigDaemon(env.A);
      await restartMigDaemon(env.A);
      await put(v.root, v.sums, 'data/small/f7', randomBytes(5000));
      await unlink(path.join(v.root, 'data/small/f8'));
      v.sums.delete('data/small/f8');
    };
    const { taskId } = await requestMigrateVe(env.db.prisma, {}, v.veId, { targetNodeId: env.nodeB.id });
    const t = await env.waitTask(taskId!);
    const log = await env.taskLog(taskId!);
    expect(t.status, `${t.error}: ${log.join(' / ')}`).toBe('succeeded');
    const passes = (t.result as { passes: Pass[] }).passes;
    expect(passes[1].selection).toMatchObject({ mode: 'full', reason: expect.stringMatching(/no change baseline/) });
    expect(log.join('\n')).toMatch(/pass 2: .*whole tree rescanned: no change baseline/);
    const rootB = path.join(env.B.vzroot, 'root', String(v.ctid));
    expect(await env.badFiles(rootB, v.sums)).toEqual([]);
    expect(existsSync(path.join(rootB, 'data/small/f8'))).toBe(false);
  }, 300_000);
});
