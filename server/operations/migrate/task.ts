// The `ve.migrate` task: named phases, each with its cleanup; the commit is one DB transaction.
import { FEATURES, type Notification } from '@/agents/protocol';
import type { Node, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import type { AgentClient } from '@/server/nodes/client';
import { generateMigrationKey } from '@/server/nodes/ssh/migration-key';
import { enqueueTask } from '@/server/services/tasks/enqueue';
import { taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import type { TaskParams } from '@/server/services/tasks/definitions';
import { describeDifference, manifestDifference } from './verify-diff';
import { agentOf, assertPlanOk, loadMigration, planMigration, type MigrateMode, type RequestedMode } from './plan';

/** Defined in server/services/tasks/definitions. */
export type VeMigrateParams = TaskParams<'ve.migrate'>;
type Migration = Awaited<ReturnType<typeof loadMigration>>;

/** Test seams: after the first copy (bench: change data; tests: inject faults), before verify (flip a byte). */
export const migrationHooks: {
  afterFirstCopy?: (info: { ctid: number; targetRoot: string }) => Promise<void>;
  beforeVerify?: (info: { ctid: number; targetRoot: string }) => Promise<void>;
  beforeFinalCopy?: (info: { ctid: number; targetRoot: string }) => Promise<void>;
  /** online-criu: before the target restores the dump (tests break the dump here). */
  beforeRestore?: (info: { ctid: number; targetRoot: string }) => Promise<void>;
  afterCommit?: (info: { ctid: number }) => Promise<void>;
} = {};

class Phases {
  // An array, not an object: jsonb reorders object keys, and the order of phases matters.
  constructor(private readonly ctx: TaskContext, private readonly names: string[], readonly timings: Array<{ phase: string; ms: number }>, private readonly label = '') {}

  // Progress and log rows are written in order but not awaited: inside the pause every
  // round trip to Postgres would add to the VE's downtime. flush() waits for them.
  private writes: Promise<unknown> = Promise.resolve();

  private write(fn: () => Promise<unknown>): void {
    this.writes = this.writes.then(fn).catch(() => undefined);
  }

  flush(): Promise<unknown> {
    return this.writes;
  }

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const i = this.names.indexOf(name);
    this.write(() => this.ctx.progress((100 * Math.max(0, i)) / this.names.length, `${this.label}${name}`));
    this.write(() => this.ctx.log(`phase ${this.label}${name}`));
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      this.timings.push({ phase: name, ms: Date.now() - t0 });
    }
  }
}

const callOpts = (ctx: TaskContext, step: string) => ({
  // A fresh journal id per attempt: a retry starts over after the previous attempt was cleaned up.
  opId: `${ctx.opId}.${ctx.attempt}.${step}`,
  onNotification: (n: Notification) => {
    if (n.method === 'log') void ctx.log(n.params.line);
  },
});

/** Undo a migration that has not committed: thaw the source, remove the target copy. */
async function abortBoth(ctx: TaskContext, src: AgentClient, dst: AgentClient, ctid: number, step: string): Promise<void> {
  const steps: [string, () => Promise<unknown>][] = [
    ['thaw source', () => src.call('migrate.abortSource', { ctid }, callOpts(ctx, `${step}-source`))],
    ['remove target copy', () => dst.call('migrate.abortTarget', { ctid }, callOpts(ctx, `${step}-target`))],
  ];
  for (const [what, fn] of steps) {
    try {
      await fn();
      if (step === 'abort') await ctx.log(`cleanup: ${what}`);
    } catch (e) {
      await ctx.log(`cleanup: ${what} failed: ${(e as Error).message}`, 'error');
    }
  }
}

/** online-criu fallback: the source's dump is still in its root; restore the VE there and say so. */
async function resumeOnSource(ctx: TaskContext, src: AgentClient, ctid: number, name: string): Promise<void> {
  // A dump CRIU refused or that was killed leaves the VE running: there is nothing to restore.
  if ((await src.call('ve.status', { ctid }).catch(() => undefined))?.status === 'running') {
    await ctx.log(`VE ${ctid} kept running on ${name} (CRIU left it running)`);
    return;
  }
  try {
    await src.call('migrate.restoreSource', { ctid }, callOpts(ctx, 'restore-source'));
    await ctx.log(`VE ${ctid} restored from its dump on ${name}: it keeps running there`);
  } catch (e) {
    await ctx.log(`VE ${ctid} could not be restored on ${name}: ${(e as Error).message}; start it there`, 'error');
  }
}

/** Which entries a failed verify found different (the source is frozen or dumped: a second walk sees the same tree). */
async function namedDifference(src: AgentClient, dst: AgentClient, ctid: number): Promise<string> {
  try {
    const [a, b] = await Promise.all([src.call('migrate.manifest', { ctid, side: 'source', listing: true }), dst.call('migrate.manifest', { ctid, side: 'target', listing: true })]);
    return describeDifference(manifestDifference(a.lines ?? [], b.lines ?? []));
  } catch (e) {
    return `the entries could not be listed: ${(e as Error).message}`;
  }
}

/** migrate.armFinal: the held final pass is a saving, not a step the migration needs; a failure only logs. */
async function armFinal(ctx: TaskContext, src: AgentClient, params: { ctid: number; target: { host: string; port: number; user: string; hostKey: string; root: string }; privateKey: string; bwlimitKBps: number }): Promise<void> {
  try {
    const r = await src.call('migrate.armFinal', params, callOpts(ctx, 'arm-final'));
    if (!r.ready) await ctx.log(`final pass not ready after ${r.ms} ms (the final copy starts a fresh rsync if it ended)`, 'warn');
  } catch (e) {
    await ctx.log(`final pass not opened before the freeze: ${(e as Error).message}; the final copy starts its own`, 'warn');
  }
}

type PassResult = { ms: number; agentMs?: number; selection?: { walkMs?: number; rsyncMs?: number; held?: boolean } };
type ManifestSummary = { sourceMs: number; targetMs: number };

/**
 * Where the pause went, step by step (issue 15): the phases in it, the final pass split into the
 * change walk and the rsync (held: opened before the freeze), the verify's two manifests, the
 * kill on the source and the start on the target (wall time of the call, and the agent's own).
 */
function pauseBreakdown(timings: Array<{ phase: string; ms: number }>, pass: PassResult | undefined, m: ManifestSummary | undefined, stop: { freezeAgent?: number; stopSource: number; stopSourceAgent: number; startTarget: number; startTargetAgent: number }) {
  const ms = (name: string) => timings.find((t) => t.phase === name)?.ms;
  return {
    freeze: ms('freeze'), finalCopy: ms('final-copy'), finalCopyAgent: pass?.agentMs, walk: pass?.selection?.walkMs, rsync: pass?.selection?.rsyncMs ?? pass?.ms, heldRsync: !!pass?.selection?.held,
    verify: ms('verify'), verifySource: m?.sourceMs, verifyTarget: m?.targetMs, commit: ms('commit'), ...stop,
  };
}

/** Moves the Ve row to the target in one transaction (addresses stay bound to the VE). */
async function commitRecord(prisma: PrismaClient, veId: string, source: Node, target: Node): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ nodeId: string }>>`SELECT "nodeId" FROM "Ve" WHERE id = ${veId} FOR UPDATE`;
    if (rows[0]?.nodeId !== source.id) throw new AppError('CONFLICT', `VE record is no longer on node ${source.name}`);
    await tx.ve.update({ where: { id: veId }, data: { nodeId: target.id } });
  });
}

export async function runMigrate(ctx: TaskContext) {
  const p = taskParams(ctx, 've.migrate');
  const veId = ctx.task.veId;
  if (!veId) throw new AppError('INTERNAL', 've.migrate task names no VE');
  const cur = await ctx.prisma.ve.findUnique({ where: { id: veId } });
  if (!cur) throw new AppError('NOT_FOUND', 'VE not found');
  if (cur.nodeId === p.targetNodeId) return resumeAfterCommit(ctx, p, cur.id, cur.ctid);
  const m = await loadMigration(ctx.prisma, veId, p.targetNodeId);
  const live: Attempt = { committed: false, timings: [] };
  try {
    return await migrateOnce(ctx, p, m, p.mode ?? 'auto', live);
  } catch (e) {
    if (live.mode !== 'online-criu' || live.committed || !p.retryTwoPass) throw e;
    return retryTwoPass(ctx, p, veId, live, e);
  }
}

/** What one attempt got to: its mode, its phase timings, and whether the record moved. */
interface Attempt { mode?: MigrateMode; committed: boolean; timings: Array<{ phase: string; ms: number }>; label?: string }

/**
 * The admin allowed it: a live migration that failed before commit is tried again two-pass in
 * the same task, if the VE runs on the source again. The result and log record both attempts.
 */
async function retryTwoPass(ctx: TaskContext, p: VeMigrateParams, veId: string, live: Attempt, e: unknown) {
  const why = (e as Error).message;
  const m = await loadMigration(ctx.prisma, veId, p.targetNodeId);
  const st = await agentOf(m.source).call('ve.status', { ctid: m.ve.ctid }).catch(() => undefined);
  if (st?.status !== 'running') {
    await ctx.log(`no two-pass retry: VE ${m.ve.ctid} is ${st?.status ?? 'unreachable'} on ${m.source.name}`, 'error');
    throw e;
  }
  await ctx.log(`live migration failed: ${why}; retrying in two-pass mode (the request allows it)`, 'warn');
  await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { state: 'migrating' } });
  // Its own operation ids: the agents' journals must not answer the retry with the first attempt's results.
  const again: Attempt = { committed: false, timings: [], label: 'two-pass retry: ' };
  const attempts = () => [{ mode: 'online-criu', error: why, timings: live.timings }, { mode: 'two-pass', timings: again.timings }];
  try {
    const r = await migrateOnce({ ...ctx, opId: `${ctx.opId}.two-pass` }, p, m, 'two-pass', again);
    return { ...r, retriedFrom: { mode: 'online-criu', error: why }, attempts: attempts() };
  } catch (e2) {
    throw new AppError(e2 instanceof AppError ? e2.code : 'INTERNAL', `two-pass retry failed: ${(e2 as Error).message} (the live migration failed first: ${why})`, { attempts: attempts() });
  }
}

async function migrateOnce(ctx: TaskContext, p: VeMigrateParams, m: Migration, requested: RequestedMode, attempt: Attempt) {
  const veId = m.ve.id;
  const { ve, source, target } = m;
  const src = agentOf(source);
  const dst = agentOf(target);
  const ctid = ve.ctid;

  // Leftovers of an earlier attempt (panel died mid-way) go first; both calls are no-ops otherwise.
  await abortBoth(ctx, src, dst, ctid, 'preclean');
  const plan = await planMigration(ctx.prisma, m, requested);
  await ctx.log(`mode ${plan.mode}: ${plan.reason}`);
  assertPlanOk(plan);
  attempt.mode = plan.mode;
  // online-criu: the final dump replaces the freeze, and the target restores it instead of starting (issue 13).
  const criu = plan.mode === 'online-criu';
  let dumped = false;
  const phases = new Phases(ctx, plan.phases, attempt.timings, attempt.label);
  const key = generateMigrationKey();
  const running = plan.status === 'running';
  const sends: unknown[] = [];
  let pauseStart = 0;
  let freezeAgentMs: number | undefined;
  const result: Record<string, unknown> = { ctid, mode: plan.mode, reason: plan.reason, source: plan.source, target: plan.target, timings: phases.timings };
  try {
    const prep = await phases.run('pre-flight', async () => {
      const desc = await src.call('migrate.describe', { ctid });
      return dst.call('migrate.prepareTarget', {
        ctid, config: desc.config, imageBytes: desc.imageBytes, usedBytes: desc.usedBytes,
        authorizedKey: key.publicKey, migrationId: `${ctx.opId}.${ctx.attempt}`,
      }, callOpts(ctx, 'prepare'));
    });
    const sendTarget = { host: target.address, port: target.sshPort, user: target.sshUser, hostKey: target.hostKey!, root: prep.root };
    // Two-pass between agents that both know it: the final pass sends only what changed since pass 1 (issue 15).
    const changedOnly = running && !criu && plan.nodes.every((n) => n.features.includes(FEATURES.migrateChangedOnly));
    const send = (pass: number) => src.call('migrate.send', {
      ctid, pass, target: sendTarget, privateKey: key.privateKey, bwlimitKBps: p.bwlimitKBps ?? 0,
      ...(changedOnly ? (pass === 1 ? { track: true } : { changedOnly: true }) : {}),
    }, callOpts(ctx, `send${pass}`));
    if (running) {
      sends.push(await phases.run('copy-while-running', async () => {
        const r = await send(1);
        // Warm both manifests while the VE still runs, so verify re-reads only what changed; meanwhile
        // the final pass opens its SSH session and the target's receiver (none of that in the pause).
        await Promise.all([
          src.call('migrate.manifest', { ctid, side: 'source', flush: true }), dst.call('migrate.manifest', { ctid, side: 'target', flush: true }),
          ...(changedOnly && plan.nodes.find((n) => n.role === 'source')?.features.includes(FEATURES.migratePrepared) ? [armFinal(ctx, src, { ctid, target: sendTarget, privateKey: key.privateKey, bwlimitKBps: p.bwlimitKBps ?? 0 })] : []),
        ]);
        return r;
      }));
      await migrationHooks.afterFirstCopy?.({ ctid, targetRoot: prep.root });
      await phases.run(criu ? 'checkpoint' : 'freeze', async () => {
        pauseStart = Date.now();
        if (!criu) {
          freezeAgentMs = (await src.call('migrate.freeze', { ctid }, callOpts(ctx, 'freeze'))).ms;
          return;
        }
        dumped = true; // from here a failure restores the VE on the source from its dump
        const d = await src.call('migrate.checkpoint', { ctid }, callOpts(ctx, 'checkpoint'));
        await ctx.log(`CRIU dump of VE ${ctid} in ${d.ms} ms`);
      });
    }
    // A frozen source no longer changes: its manifest is built while the copy runs. (A stopped
    // VE's image is mounted per call on the source, so there the two calls stay in sequence.)
    // (online-criu: the dumped VE is stopped, so its image is mounted per call: no overlap with the copy)
    const srcManifest = running && !criu ? src.call('migrate.manifest', { ctid, side: 'source' }) : undefined;
    srcManifest?.catch(() => undefined);
    sends.push(await phases.run('final-copy', async () => {
      const pass = send(running ? 2 : 1);
      pass.catch(() => undefined); // awaited below; a hook may take a while
      await migrationHooks.beforeFinalCopy?.({ ctid, targetRoot: prep.root });
      return pass;
    }));
    result.passes = sends;
    await phases.run('verify', async () => {
      await migrationHooks.beforeVerify?.({ ctid, targetRoot: prep.root });
      const [a, b] = await Promise.all([srcManifest ?? src.call('migrate.manifest', { ctid, side: 'source' }), dst.call('migrate.manifest', { ctid, side: 'target' })]);
      result.manifest = { digest: a.digest, files: a.files, bytes: a.bytes, sourceMs: a.ms, targetMs: b.ms, rehashed: [a.hashed, b.hashed] };
      if (a.digest !== b.digest || a.entries !== b.entries) {
        const what = await namedDifference(src, dst, ctid);
        throw new AppError('CONFLICT', `verify: the copy on ${target.name} differs from the source (manifest ${b.digest.slice(0, 12)}… vs ${a.digest.slice(0, 12)}…, ${b.entries} vs ${a.entries} entries: ${what}); commit refused`);
      }
      await ctx.log(`verify: ${a.files} files, ${a.bytes} bytes, manifest ${a.digest.slice(0, 16)}… equal on both nodes`);
    });
    if (criu) {
      await phases.run('restore-on-target', async () => {
        await migrationHooks.beforeRestore?.({ ctid, targetRoot: prep.root });
        const s = await dst.call('migrate.commitTarget', { ctid, start: true, restore: true }, callOpts(ctx, 'restore-target'));
        result.pauseMs = Date.now() - pauseStart;
        await ctx.log(`VE ${ctid} restored on ${target.name} in ${s.ms} ms`);
      });
    }
    await phases.run('commit', () => commitRecord(ctx.prisma, veId, source, target));
    attempt.committed = true;
    await migrationHooks.afterCommit?.({ ctid });
  } catch (e) {
    await phases.flush();
    await ctx.log(`migration failed before commit: ${(e as Error).message}; the VE stays on ${source.name}`, 'error');
    await abortBoth(ctx, src, dst, ctid, 'abort');
    if (dumped) await resumeOnSource(ctx, src, ctid, source.name);
    await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { state: p.prevState } });
    throw e;
  }
  try {
    const started = await phases.run('start-on-target', async () => {
      // Only the kill is in the pause; unmounting and keeping the source copy come after the start.
      const t0 = Date.now();
      const stopped = await src.call('migrate.stopSource', { ctid }, callOpts(ctx, 'stop-source'));
      const t1 = Date.now();
      // (online-criu: the target already runs the restored VE; this repeat only confirms it)
      const s = await dst.call('migrate.commitTarget', { ctid, start: running }, callOpts(ctx, 'commit-target'));
      if (pauseStart && !criu) {
        result.pauseMs = Date.now() - pauseStart;
        result.pause = pauseBreakdown(phases.timings, sends.at(-1) as PassResult | undefined, result.manifest as ManifestSummary | undefined, { freezeAgent: freezeAgentMs, stopSource: t1 - t0, stopSourceAgent: stopped.ms, startTarget: Date.now() - t1, startTargetAgent: s.ms });
      }
      const fin = await src.call('migrate.finishSource', { ctid, keepHours: p.keepHours ?? 168 }, callOpts(ctx, 'finish-source'));
      await ctx.log(`source stopped in ${stopped.ms} ms; target committed and ${s.status} in ${s.ms} ms; source copy kept in ${fin.ms} ms`);
      return { ...fin, status: s.status };
    });
    await phases.flush();
    await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { state: started.status === 'running' ? 'running' : 'stopped', lastError: null } });
    await phases.run('cleanup', async () => {
      const t = await enqueueTask(ctx.prisma, {
        type: 've.migrated.cleanup', queue: null, nodeId: source.id, ctid, maxAttempts: 5,
        params: { ctid, nodeId: source.id, name: started.migratedName }, runAt: new Date(started.keepUntil),
      });
      result.migrated = { node: source.name, name: started.migratedName, keepUntil: started.keepUntil, cleanupTaskId: t.id };
      await ctx.log(`source copy kept as ${started.migratedName} on ${source.name} until ${started.keepUntil}`);
    });
    await phases.flush();
    if (result.pauseMs !== undefined) await ctx.log(`pause (freeze to running on ${target.name}): ${result.pauseMs as number} ms`);
    return result;
  } catch (e) {
    await phases.flush();
    // After commit the VE belongs to the target only: never restart it on the source.
    const msg = `migration committed to ${target.name} but could not finish: ${(e as Error).message}`;
    await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { state: 'error', lastError: msg } });
    throw new AppError(e instanceof AppError ? e.code : 'INTERNAL', msg);
  }
}

/**
 * A previous attempt committed (the record is on the target) and then died: finish the hand-over.
 * Every step is idempotent on the agents; the VE never goes back to the source.
 */
async function resumeAfterCommit(ctx: TaskContext, p: VeMigrateParams, veId: string, ctid: number) {
  const [source, target] = await Promise.all([ctx.prisma.node.findUniqueOrThrow({ where: { id: p.sourceNodeId } }), ctx.prisma.node.findUniqueOrThrow({ where: { id: p.targetNodeId } })]);
  await ctx.log(`resuming after commit: VE ${ctid} belongs to ${target.name}`);
  const src = agentOf(source);
  await src.call('migrate.stopSource', { ctid }, callOpts(ctx, 'stop-source'));
  const s = await agentOf(target).call('migrate.commitTarget', { ctid, start: p.prevState === 'running' }, callOpts(ctx, 'commit-target'));
  const fin = await src.call('migrate.finishSource', { ctid, keepHours: p.keepHours ?? 168 }, callOpts(ctx, 'finish-source'));
  await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { state: s.status === 'running' ? 'running' : 'stopped', lastError: null } });
  const t = await enqueueTask(ctx.prisma, {
    type: 've.migrated.cleanup', queue: null, nodeId: source.id, ctid, maxAttempts: 5,
    params: { ctid, nodeId: source.id, name: fin.migratedName }, runAt: new Date(fin.keepUntil),
  });
  return { ctid, resumed: true, status: s.status, migrated: { node: source.name, name: fin.migratedName, keepUntil: fin.keepUntil, cleanupTaskId: t.id } };
}

/** The delayed `ve.migrated.cleanup` task: removes the kept source copy and logs it. */
export async function runMigratedCleanup(ctx: TaskContext) {
  const { ctid, nodeId, name } = taskParams(ctx, 've.migrated.cleanup');
  const node = await ctx.prisma.node.findUnique({ where: { id: nodeId } });
  if (!node) throw new AppError('NOT_FOUND', 'source node not found');
  const r = await agentOf(node).call('migrate.purge', { ctid, name }, { opId: `${ctx.opId}.purge` });
  await ctx.log(r.removed ? `removed ${name} on ${node.name}` : `${name} was already gone on ${node.name}`);
  return r;
}
