// Backups in a restic repository, as the panel sees them (tags carry the ctid, VE id and manifest digest).
import type { z } from 'zod';
import type { BackupSnapshot } from '@/agents/protocol/methods/backup';
import { VeError } from '../sys/errors';
import type { RepoAccess } from './repo';
import { restic } from './restic';

type Snapshot = z.infer<typeof BackupSnapshot>;
interface ResticSnap { id: string; short_id: string; time: string; hostname: string; tags?: string[] }

/** Name of the manifest file at the top of every backup's tree; the VE's files are under /ve. */
export const MANIFEST_NAME = 'manifest.sha256';
export const TREE_NAME = 've';
/** Tag of a first backup's tree-only pass (create.ts): not a backup, never listed, dropped after. */
export const TREE_TAG = 'vzpanel-tree';

export const backupTags = (ctid: number, veId?: string): string[] => ['vzpanel', `ctid:${ctid}`, ...(veId ? [`ve:${veId}`] : [])];

function toSnapshot(s: ResticSnap): Snapshot {
  const tags = s.tags ?? [];
  const tag = (k: string) => tags.find((t) => t.startsWith(`${k}:`))?.slice(k.length + 1);
  const ctid = Number(tag('ctid'));
  const digest = tag('manifest');
  return {
    id: s.id, shortId: s.short_id, time: s.time, hostname: s.hostname, tags,
    ...(Number.isInteger(ctid) && ctid > 0 ? { ctid } : {}),
    ...(tag('ve') ? { veId: tag('ve') } : {}),
    ...(digest && /^[0-9a-f]{64}$/.test(digest) ? { manifestDigest: digest } : {}),
  };
}

/** restic's `--tag` value selecting vzpanel's backups of one VE (all tags must match). */
export const filterTag = (f: { ctid?: number; veId?: string }): string =>
  ['vzpanel', ...(f.ctid !== undefined ? [`ctid:${f.ctid}`] : []), ...(f.veId ? [`ve:${f.veId}`] : [])].join(',');

/** Backups made by vzpanel (filtered by ctid/veId), oldest first. */
export async function listBackups(repo: RepoAccess, f: { ctid?: number; veId?: string } = {}): Promise<Snapshot[]> {
  const r = await restic(repo, ['snapshots', '--json', '--tag', filterTag(f)], 'listing backups');
  const list = (JSON.parse(r.stdout || '[]') as ResticSnap[] | null) ?? [];
  return list.map(toSnapshot).sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** One backup by full or short id; SNAPSHOT_NOT_FOUND when the repository has no such snapshot. */
export async function findBackup(repo: RepoAccess, id: string): Promise<Snapshot> {
  const r = await restic(repo, ['snapshots', '--json', id], 'looking up the backup');
  const list = (JSON.parse(r.stdout || '[]') as ResticSnap[] | null) ?? [];
  if (!list[0]) throw new VeError('SNAPSHOT_NOT_FOUND', `backup ${id} is not in the repository (${repo.label})`, { snapshotId: id });
  return toSnapshot(list[0]);
}
