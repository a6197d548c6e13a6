// The failure matrix on two real nodes: the source agent killed (-9) before and after commit, the target's
// sshd stopped and the network between the nodes cut (sshd frozen) during the final copy. Before commit the
// VE keeps running on the source with identical data and the target holds nothing; after commit it runs on
// the target only; once a killed agent is back, the task resolves.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { killMigDaemon, restartMigDaemon } from '@/test/fixtures/migration-nodes';
import { setupMigEnv, type MigEnv } from '@/test/fixtures/migration-env';
import { migrationHooks, requestMigrateVe } from '.';

let env: MigEnv;
beforeAll(async () => { env = await setupMigEnv(); }, 300_000);
afterAll(async () => env?.close(), 120_000);
// A test that failed early must not leave its fault injection to the next one.
beforeEach(() => {
  for (const k of Object.keys(migrationHooks) as Array<keyof typeof migrationHooks>) migrationHooks[k] = undefined;
});

async function waitLog(taskId: string, re: RegExp, timeoutMs = 90_000) {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    if ((await env.taskLog(taskId)).some((l) => re.test(l))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no log line ${re} in task ${taskId}: ${(await env.taskLog(taskId)).join(' / ')}`);
}

/** Makes the final copy last a few seconds: 24 MiB change after the first copy, copied at 8 MB/s. */
const slowFinalCopy = (root: string) => {
  migrationHooks.afterFirstCopy = async () => writeFile(path.join(root, 'data/late.bin'), randomBytes(24 * 2 ** 20));
};

async function expectStillOnSource(v: Awaited<ReturnType<MigEnv['ve']>>) {
  expect(await env.lxcState(env.A, v.ctid)).toBe('RUNNING');
  expect(await env.badFiles(v.root, v.sums)).toEqual([]);
  expect(await env.db.prisma.ve.findUniqueOrThrow({ where: { id: v.veId } })).toMatchObject({ nodeId: env.nodeA.id, state: 'running' });
  await env.expectNothingOn(env.B, v.ctid);
}

async function expectOnTargetOnly(v: Awaited<ReturnType<MigEnv['ve']>>) {
  expect(await env.lxcState(env.B, v.ctid)).toBe('RUNNING');
  expect(await env.lxcState(env.A, v.ctid)).not.toMatch(/RUNNING|FROZEN/);
  expect(await env.badFiles(path.join(env.B.vzroot, 'root', String(v.ctid)), v.sums)).toEqual([]);
  expect(await env.db.prisma.ve.findUniqueOrThrow({ where: { id: v.veId } })).toMatchObject({ nodeId: env.nodeB.id, state: 'running' });
  expect(existsSync(path.join(env.A.vzroot, 'conf', `${v.ctid}.conf`))).toBe(false);
  expect((await readdir(path.join(env.A.vzroot, 'private'))).some((n) => n.startsWith(`${v.ctid}.migrated-`))).toBe(true);
}

describe('migration failure matrix', () => {
  it('source agent killed during the final copy: nothing on the target, VE stays on the source; after the agent restarts the retried task moves it', async () => {
    const v = await env.ve(8);
    slowFinalCopy(v.root);
    migrationHooks.beforeFinalCopy = async () => {
      migrationHooks.beforeFinalCopy = undefined;
      await new Promise((r) => setTimeout(r, 300));
      await killMigDaemon(env.A);
    };
    const { taskId } = await requestMigrateVe(env.db.prisma, {}, v.veId, { targetNodeId: env.nodeB.id, bwlimitKBps: 8000 });
    try {
      await waitLog(taskId!, /migration failed before commit/);
      migrationHooks.afterFirstCopy = undefined;
      // Before commit: the record and the data are on the source; the target holds nothing.
      expect(await env.badFiles(v.root, v.sums)).toEqual([]);
      expect(await env.db.prisma.ve.findUniqueOrThrow({ where: { id: v.veId } })).toMatchObject({ nodeId: env.nodeA.id });
      await vi.waitFor(() => env.expectNothingOn(env.B, v.ctid), { timeout: 10_000, interval: 200 }).catch(async (e) => {
        throw new Error(`${(e as Error).message}; task log: ${(await env.taskLog(taskId!)).join(' / ')}`);
      });
      expect(await env.lxcState(env.A, v.ctid)).toMatch(/RUNNING|FROZEN/); // frozen until its agent is back
    } finally {
      await restartMigDaemon(env.A);
    }
    const t = await env.waitTask(taskId!);
    expect(t.status, (await env.taskLog(taskId!)).join(' / ')).toBe('succeeded');
    expect(t.attempts).toBe(2);
    await expectOnTargetOnly(v);
  }, 300_000);

  it('source agent killed right after commit: the VE belongs to the target; after the agent restarts it runs there only', async () => {
    const v = await env.ve(8);
    migrationHooks.afterCommit = async () => {
      migrationHooks.afterCommit = undefined;
      await killMigDaemon(env.A);
    };
    const { taskId } = await requestMigrateVe(env.db.prisma, {}, v.veId, { targetNodeId: env.nodeB.id });
    try {
      await waitLog(taskId!, /migration committed to .* but could not finish/);
      expect(await env.db.prisma.ve.findUniqueOrThrow({ where: { id: v.veId } })).toMatchObject({ nodeId: env.nodeB.id });
      expect(await env.lxcState(env.A, v.ctid)).not.toBe('RUNNING'); // frozen, never thawed after commit
    } finally {
      await restartMigDaemon(env.A);
    }
    const t = await env.waitTask(taskId!);
    expect(t.status, (await env.taskLog(taskId!)).join(' / ')).toBe('succeeded');
    expect(t.result).toMatchObject({ resumed: true, status: 'running' });
    await expectOnTargetOnly(v);
  }, 300_000);

  it('target sshd stopped during the final copy: VE keeps running on the source, target holds nothing', async () => {
    const v = await env.ve(8);
    slowFinalCopy(v.root);
    migrationHooks.beforeFinalCopy = async () => {
      migrationHooks.beforeFinalCopy = undefined;
      await new Promise((r) => setTimeout(r, 300));
      await env.B.sshd.stop();
    };
    try {
      const { taskId } = await requestMigrateVe(env.db.prisma, {}, v.veId, { targetNodeId: env.nodeB.id, bwlimitKBps: 8000 });
      const t = await env.waitTask(taskId!);
      expect(t.status).toBe('failed');
      expect(t.error).toMatch(/rsync|ssh/);
      const log = await env.taskLog(taskId!);
      expect(log).toContain('phase final-copy');
      expect(log).not.toContain('phase verify');
      expect(log).toContain('cleanup: thaw source');
    } finally {
      migrationHooks.afterFirstCopy = undefined;
      await env.B.sshd.restart();
    }
    await expectStillOnSource(v);
  }, 300_000);

  it('network between the nodes cut (target sshd frozen) during the final copy: VE keeps running on the source, target holds nothing', async () => {
    const v = await env.ve(8);
    slowFinalCopy(v.root);
    migrationHooks.beforeFinalCopy = async () => {
      migrationHooks.beforeFinalCopy = undefined;
      await new Promise((r) => setTimeout(r, 300));
      env.B.sshd.freeze();
    };
    try {
      const { taskId } = await requestMigrateVe(env.db.prisma, {}, v.veId, { targetNodeId: env.nodeB.id, bwlimitKBps: 8000 });
      const t = await env.waitTask(taskId!, 240_000);
      expect(t.status).toBe('failed');
      expect(await env.taskLog(taskId!)).toContain('phase final-copy');
      expect(await env.taskLog(taskId!)).not.toContain('phase verify');
    } finally {
      migrationHooks.afterFirstCopy = undefined;
      env.B.sshd.thaw();
    }
    await expectStillOnSource(v);
  }, 300_000);
});
