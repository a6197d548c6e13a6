// The pause without process start-ups (issue 15), between two real nodes (LXC, vzagentd, sshd, rsync,
// nft, Postgres): the final pass's rsync, SSH session and target receiver are opened before the freeze
// and only handed the change list in the pause; the target's port filter is in place at prepare. A
// migration that fails before the pause ends the held pass on both nodes and removes the filter; a
// held pass that died before the freeze gives way to a fresh rsync.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { portHasPolicy } from '@/agents/src/net/antispoof';
import { vethName } from '@/agents/src/config/schema';
import { setupMigEnv, type MigEnv } from '@/test/fixtures/migration-env';
import { migrationHooks, requestMigrateVe } from '.';

let env: MigEnv;
beforeAll(async () => { env = await setupMigEnv(); }, 300_000);
afterAll(async () => env?.close(), 120_000);
beforeEach(() => {
  for (const k of Object.keys(migrationHooks) as Array<keyof typeof migrationHooks>) migrationHooks[k] = undefined;
});

type Selection = { mode: string; held?: boolean; heldFailed?: string; listed?: number };

/** Pids of rsync processes whose command line names `root/` (the held sender has `--files-from=-`). */
async function rsyncsOf(root: string, needle = '--files-from=-'): Promise<number[]> {
  const out: number[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0]?.endsWith('rsync') && argv.includes(`${root}/`) && argv.some((a) => a === needle)) out.push(Number(pid));
  }
  return out;
}

/** True while `pid` runs (not gone, not a zombie). */
function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 20_000) {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting: ${what}`);
}

describe('the pause without process start-ups', () => {
  it('the final pass is the one held open before the freeze; the result says where the pause went', async () => {
    const v = await env.ve(8, { smallFiles: 100 });
    await new Promise((r) => setTimeout(r, 1200)); // older than the change baseline's clock slack
    let heldBeforeFreeze: number[] = [];
    migrationHooks.afterFirstCopy = async () => {
      heldBeforeFreeze = await rsyncsOf(v.root);
      const body = randomBytes(2 ** 20);
      await writeFile(path.join(v.root, 'data/late.bin'), body);
      v.sums.set('data/late.bin', sha(body));
    };
    const { taskId } = await requestMigrateVe(env.db.prisma, {}, v.veId, { targetNodeId: env.nodeB.id });
    const t = await env.waitTask(taskId!);
    const log = await env.taskLog(taskId!);
    expect(t.status, `${t.error}: ${log.join(' / ')}`).toBe('succeeded');
    expect(heldBeforeFreeze).toHaveLength(1); // one rsync waited for the list before the freeze
    const r = t.result as { passes: Array<{ selection?: Selection }>; pause: Record<string, number | boolean>; pauseMs: number };
    expect(r.passes[1].selection).toMatchObject({ mode: 'changed', held: true });
    expect(r.passes[1].selection!.listed).toBeGreaterThan(0);
    for (const k of ['freeze', 'walk', 'rsync', 'verify', 'verifySource', 'verifyTarget', 'commit', 'stopSource', 'startTarget']) expect(typeof r.pause[k], k).toBe('number');
    expect(r.pause.heldRsync).toBe(true);
    expect(r.pause.startTarget).toBeLessThanOrEqual(r.pauseMs);
    expect(log.join('\n')).toMatch(/final pass held open/);
    const rootB = path.join(env.B.vzroot, 'root', String(v.ctid));
    expect(await env.badFiles(rootB, v.sums)).toEqual([]);
    expect(await env.lxcState(env.B, v.ctid)).toBe('RUNNING');
    // The filter applied at prepare is the one the running VE has.
    expect(await portHasPolicy(env.B.bridge, vethName(v.ctid))).toBe(true);
    expect(await rsyncsOf(v.root)).toEqual([]);
  }, 300_000);

  it('a migration failing before the pause ends the held pass on both nodes and removes the prepared port filter', async () => {
    const v = await env.ve(4, { smallFiles: 50 });
    const recvPid = path.join(env.B.vzroot, 'migrate', `${v.ctid}.recv.pid`);
    const rootB = path.join(env.B.vzroot, 'root', String(v.ctid));
    let sender: number[] = [];
    let receiver = 0;
    migrationHooks.afterFirstCopy = async () => {
      sender = await rsyncsOf(v.root);
      receiver = Number((await readFile(recvPid, 'utf8').catch(() => '')).trim());
      expect(await portHasPolicy(env.B.bridge, vethName(v.ctid))).toBe(true);
      throw new Error('injected: the panel gives up before the freeze');
    };
    const { taskId } = await requestMigrateVe(env.db.prisma, {}, v.veId, { targetNodeId: env.nodeB.id });
    const t = await env.waitTask(taskId!);
    expect(t.status).toBe('failed');
    expect(t.error).toMatch(/injected/);
    // Both halves were up and waiting when it failed ...
    expect(sender).toHaveLength(1);
    expect(receiver).toBeGreaterThan(1);
    // ... and both are gone: the sender, its ssh, the receiver on the target, its pid file, the filter.
    await until('the held sender ended', () => !alive(sender[0]));
    await until('the target receiver ended', () => !alive(receiver));
    expect(await rsyncsOf(v.root)).toEqual([]);
    expect(await rsyncsOf(rootB, '--server')).toEqual([]);
    expect(existsSync(recvPid)).toBe(false);
    expect(await portHasPolicy(env.B.bridge, vethName(v.ctid))).toBe(false);
    expect(await env.lxcState(env.A, v.ctid)).toBe('RUNNING');
    expect(await env.badFiles(v.root, v.sums)).toEqual([]);
    await env.expectNothingOn(env.B, v.ctid);
  }, 300_000);

  it('a held pass that died before the freeze gives way to a fresh rsync, and the copy is exact', async () => {
    const v = await env.ve(4, { smallFiles: 50 });
    await new Promise((r) => setTimeout(r, 1200));
    migrationHooks.afterFirstCopy = async () => {
      const pids = await rsyncsOf(v.root);
      expect(pids).toHaveLength(1);
      process.kill(pids[0], 'SIGKILL');
      await until('the held sender died', () => !alive(pids[0]));
      await writeFile(path.join(v.root, 'data/small/f3'), 'after the held pass died\n');
      v.sums.set('data/small/f3', sha('after the held pass died\n'));
    };
    const { taskId } = await requestMigrateVe(env.db.prisma, {}, v.veId, { targetNodeId: env.nodeB.id });
    const t = await env.waitTask(taskId!);
    const log = await env.taskLog(taskId!);
    expect(t.status, `${t.error}: ${log.join(' / ')}`).toBe('succeeded');
    const sel = (t.result as { passes: Array<{ selection?: Selection }> }).passes[1].selection;
    expect(sel).toMatchObject({ mode: 'changed' });
    expect(sel?.held).toBeUndefined();
    expect(await env.badFiles(path.join(env.B.vzroot, 'root', String(v.ctid)), v.sums)).toEqual([]);
    expect(await env.lxcState(env.B, v.ctid)).toBe('RUNNING');
  }, 300_000);
});
