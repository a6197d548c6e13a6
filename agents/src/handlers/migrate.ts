// migrate.* verbs (issue 6): the agent half of moving a VE between nodes, plus CRIU checkpoint refusal.
import type { AnyHandler } from '../daemon/types';
import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { veExists } from '../lxc/ve-store';
import { lxcState } from '../lxc/lxc-cli';
import { veStatus } from '../lxc/power';
import { vePaths } from '../sys/paths';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { buildManifest, frozenWalk } from '../migrate/manifest';
import { copyPass } from '../migrate/pass';
import { armFinalPass } from '../migrate/held';
import { abortSource, describeVe, finishSource, freezeForMigration, noteRunningInit, purgeMigrated, stopSource, withRootMounted } from '../migrate/source';
import { abortTarget, commitTarget, preparedRoot, prepareTarget } from '../migrate/target';
import { readSourceMarker, readTargetMarker } from '../migrate/state';
import { checkpointHandlers } from './checkpoint';
import { checkpointForMigration, restoreFromMigrationDump } from '../criu/migrate';

const veOf = (p: { ctid: number }) => p.ctid;
/** File times come from a clock that lags by up to a tick: a margin well above one. */
const QUIET_SLACK_MS = 100;

const describe = defineHandler({
  method: 'migrate.describe',
  run: (p, ctx) => describeVe(runtimeOf(ctx), p.ctid),
});

const prepare = defineHandler({
  method: 'migrate.prepareTarget',
  veOf,
  run: (p, ctx) => prepareTarget(runtimeOf(ctx), p, ctx.undo),
  // A half-prepared copy is not worth finishing: remove it and let the panel decide.
  async recover(p, ctx) {
    const m = await readTargetMarker(ctx.vzroot, p.ctid);
    if (m?.migrationId === p.migrationId) {
      return { outcome: 'done', result: { ctid: p.ctid, root: vePaths(ctx.vzroot, p.ctid).root, imageBytes: m.imageBytes, idmapFirst: m.idmapFirst } };
    }
    return { outcome: 'failed', code: 'INTERNAL', message: 'interrupted while preparing; call migrate.abortTarget and prepare again' };
  },
});

const send = defineHandler({
  method: 'migrate.send',
  veOf,
  async run(p, ctx) {
    const t0 = Date.now();
    const rt = runtimeOf(ctx);
    ctx.progress(1, `pass ${p.pass}: copying to ${p.target.host}`);
    // Only a RUNNING VE changes under the copy (pass 1 of a live migration); a frozen or stopped one
    // must copy completely. The final pass is in the pause: no extra lxc-info there.
    const live = p.pass === 1 && (await lxcState(p.ctid, vePaths(ctx.vzroot, p.ctid).lxcpath)) === 'RUNNING';
    const { partial, ...r } = await withRootMounted(rt, p.ctid, ctx.undo, (root) => copyPass(ctx.vzroot, root, p, live));
    const sel = r.selection;
    const what = !sel ? '' : sel.mode === 'changed' ? ` (changed since pass 1: ${sel.listed} of ${sel.entries} entries listed, walk ${sel.walkMs} ms)` : ` (whole tree rescanned: ${sel.reason})`;
    ctx.log(`pass ${p.pass}: ${r.filesTransferred} files, ${r.bytesTransferred} bytes in ${r.ms} ms${what}${partial ? ` (partial: ${partial}; the frozen pass copies the rest)` : ''}`);
    return { pass: p.pass, ...r, agentMs: Date.now() - t0 };
  },
  recover: async () => ({ outcome: 'rerun' }), // rsync converges: running it again is safe
});

const arm = defineHandler({
  method: 'migrate.armFinal',
  veOf,
  async run(p, ctx) {
    // Only a running VE's root is mounted for the whole migration; a held pass of a per-call mount would outlive it.
    const root = vePaths(ctx.vzroot, p.ctid).root;
    // (its init is remembered for the freeze: no lxc-info in the pause)
    if ((await noteRunningInit(runtimeOf(ctx), p.ctid)) !== 'RUNNING') throw new VeError('VE_NOT_RUNNING', `VE ${p.ctid} is not running: nothing to hold a final pass for`);
    const r = await armFinalPass(ctx.vzroot, p.ctid, root, p.target, p.privateKey, p.bwlimitKBps);
    ctx.log(r.ready ? `final pass held open (receiver on ${p.target.host} up in ${r.ms} ms)` : `final pass not ready after ${r.ms} ms: the final copy may start a fresh one`);
    return { ctid: p.ctid, ...r };
  },
  recover: async () => ({ outcome: 'rerun' }), // a re-run replaces the held pass
});

const freeze = defineHandler({
  method: 'migrate.freeze',
  veOf,
  run: (p, ctx) => freezeForMigration(runtimeOf(ctx), p.ctid),
  recover: async () => ({ outcome: 'rerun' }),
});

const manifest = defineHandler({
  method: 'migrate.manifest',
  async run(p, ctx) {
    const rt = runtimeOf(ctx);
    const build = async (root: string, quiet = false) => {
      // Before the syncfs: a page dirtied through a mapping after it moves the file's times, and the cache then skips it.
      const startedAt = Date.now();
      if (p.flush) await run('sync', ['-f', root], { allowFail: true, timeoutMs: 600_000 });
      // quiet: only the receiver writes a prepared target and it has finished, so every key is final (bar the
      // coarse file clock's tick): the files the copy wrote last are not read again in the pause.
      return buildManifest(root, { listing: p.listing, startedAt, ...(quiet ? { settledAt: startedAt - QUIET_SLACK_MS } : {}) });
    };
    if (p.side === 'target') return build(await preparedRoot(rt, p.ctid), true);
    // Frozen by this migration: the tree cannot change, so the walk the final copy's change list made is this one too.
    const marker = p.flush ? undefined : await readSourceMarker(ctx.vzroot, p.ctid);
    if (marker?.frozen) return withRootMounted(rt, p.ctid, ctx.undo, async (root) => buildManifest(root, { listing: p.listing, walked: await frozenWalk(root, marker.at) }));
    return withRootMounted(rt, p.ctid, ctx.undo, build);
  },
});

const commit = defineHandler({
  method: 'migrate.commitTarget',
  veOf,
  run: (p, ctx) => commitTarget(runtimeOf(ctx), p.ctid, p.start, ctx.undo, p.restore),
  async recover(p, ctx) {
    if (!(await veExists(ctx.vzroot, p.ctid))) return { outcome: 'rerun' };
    const s = await veStatus(runtimeOf(ctx), p.ctid);
    if (p.start && s.status !== 'running') return { outcome: 'rerun' };
    return { outcome: 'done', result: { ctid: p.ctid, status: s.status, ms: 0 } };
  },
});

const stop = defineHandler({
  method: 'migrate.stopSource',
  veOf,
  run: (p, ctx) => stopSource(runtimeOf(ctx), p.ctid),
  recover: async () => ({ outcome: 'rerun' }),
});

const finish = defineHandler({
  method: 'migrate.finishSource',
  veOf,
  run: (p, ctx) => finishSource(runtimeOf(ctx), p.ctid, p.keepHours),
  recover: async () => ({ outcome: 'rerun' }), // idempotent: reports the .migrated copy once done
});

const abortT = defineHandler({
  method: 'migrate.abortTarget',
  veOf,
  run: (p, ctx) => abortTarget(runtimeOf(ctx), p.ctid),
  recover: async () => ({ outcome: 'rerun' }),
});

const abortS = defineHandler({
  method: 'migrate.abortSource',
  veOf,
  run: (p, ctx) => abortSource(runtimeOf(ctx), p.ctid),
  recover: async () => ({ outcome: 'rerun' }),
});

// No veOf: it removes only the kept copy (<ctid>.migrated-*), never the VE's own files, so it must not
// hold the VE's lock: a VE back on this node (a migration there and back) would be refused start or commit.
const purge = defineHandler({
  method: 'migrate.purge',
  run: (p, ctx) => purgeMigrated(runtimeOf(ctx), p.ctid, p.name),
  recover: async () => ({ outcome: 'rerun' }),
});

const criuDump = defineHandler({
  method: 'migrate.checkpoint',
  veOf,
  async run(p, ctx) {
    const r = await checkpointForMigration(runtimeOf(ctx), p.ctid);
    return { ctid: p.ctid, ms: r.ms };
  },
});

const criuBack = defineHandler({
  method: 'migrate.restoreSource',
  veOf,
  run: (p, ctx) => restoreFromMigrationDump(runtimeOf(ctx), p.ctid, ctx.undo),
});

export const migrateHandlers: AnyHandler[] = [describe, prepare, send, arm, freeze, manifest, commit, stop, finish, abortT, abortS, purge, criuDump, criuBack, ...checkpointHandlers];
