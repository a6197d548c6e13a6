// Backups (issue 12): restic repositories, VE backups, restore and export; local snapshots.
import type { AnyHandler } from '../daemon/types';
import { defineHandler } from '../daemon/types';
import { backupVe } from '../backup/create';
import { issueExportToken } from '../backup/export';
import { createSnapshot, deleteSnapshot, listSnapshots, rollbackSnapshot } from '../backup/local-snapshots';
import { withRepo } from '../backup/repo';
import { checkRepo, forgetBackups, initRepo } from '../backup/repo-admin';
import { restoreVe } from '../backup/restore';
import { findBackup, listBackups } from '../backup/snapshots';

const veOf = (p: { ctid: number }) => p.ctid;
const rerun = async () => ({ outcome: 'rerun' as const });
// Settled by the startup pass (backup/work.ts): scratch removed, a verified restore rolled forward.
const interrupted = async () => ({
  outcome: 'failed' as const, code: 'OP_INTERRUPTED' as const,
  message: 'the agent restarted mid-way; its startup pass cleaned up (the VE has its old data, or the verified restored data if the swap had begun)',
});

const repoInit = defineHandler({ method: 'backup.repo.init', run: (p, ctx) => withRepo(ctx.vzroot, p.repo, initRepo), recover: rerun });
const repoCheck = defineHandler({ method: 'backup.repo.check', run: (p, ctx) => withRepo(ctx.vzroot, p.repo, (r) => checkRepo(r, p.readDataPercent)) });
// No veOf: the VE is locked only while its image is copied (backup/create.ts), not for the upload.
const create = defineHandler({ method: 've.backup.create', run: backupVe, recover: rerun });
const list = defineHandler({ method: 've.backup.list', run: async (p, ctx) => ({ snapshots: await withRepo(ctx.vzroot, p.repo, (r) => listBackups(r, p)) }) });
const forget = defineHandler({ method: 've.backup.forget', run: (p, ctx) => withRepo(ctx.vzroot, p.repo, (r) => forgetBackups(r, p)), recover: rerun });
const restore = defineHandler({ method: 've.backup.restore', veOf, run: restoreVe, recover: interrupted });
const exportTar = defineHandler({
  method: 've.backup.export',
  async run(p, ctx) {
    const snap = await withRepo(ctx.vzroot, p.repo, (r) => findBackup(r, p.snapshotId));
    const t = issueExportToken(ctx.vzroot, p.repo, snap.id, p.ttlSec);
    return { ...t, command: `vzagent backup-export ${t.token}` };
  },
});
const snapCreate = defineHandler({ method: 've.snapshot.create', veOf, run: (p, ctx) => createSnapshot(ctx, p.ctid, p.name, p.maxCount) });
const snapList = defineHandler({ method: 've.snapshot.list', run: async (p, ctx) => ({ ctid: p.ctid, snapshots: await listSnapshots(ctx.vzroot, p.ctid) }) });
const snapRollback = defineHandler({ method: 've.snapshot.rollback', veOf, run: (p, ctx) => rollbackSnapshot(ctx, p.ctid, p.id, p.start), recover: interrupted });
const snapDelete = defineHandler({ method: 've.snapshot.delete', veOf, run: (p, ctx) => deleteSnapshot(ctx.vzroot, p.ctid, p.id) });

export const backupHandlers: AnyHandler[] = [
  repoInit, repoCheck, create, list, forget, restore, exportTar, snapCreate, snapList, snapRollback, snapDelete,
];
