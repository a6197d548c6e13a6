// Request and response schemas shared by the backup procedures (admin, portal and billing).
import { z } from 'zod';
import type { Context } from '@/server/api/context';
import { AppError } from '@/server/errors';

export const Id = z.string().min(1).max(64);
export const IdInput = z.object({ id: Id });
export const TaskRef = z.object({ taskId: z.string().describe('The queued task; follow it for progress') });

export const BackupOutput = z.object({
  id: z.string(),
  veId: z.string().nullable().describe('null once the VE was destroyed (its backups remain, admin-only)'),
  ctid: z.number().int(),
  hostname: z.string(),
  storage: z.object({ id: z.string(), name: z.string() }),
  kind: z.enum(['manual', 'scheduled', 'drill']),
  state: z.enum(['queued', 'running', 'completed', 'failed']),
  resticId: z.string().nullable(),
  sizeBytes: z.number().nullable().describe('Bytes of the backed-up tree'),
  addedBytes: z.number().nullable().describe('New bytes this backup stored (incremental)'),
  fileCount: z.number().int().nullable(),
  manifestDigest: z.string().nullable().describe('sha256 of the checksum manifest; restores are verified against it'),
  pauseMs: z.number().int().nullable().describe('How long the VE was frozen for the point-in-time copy'),
  durationMs: z.number().int().nullable(),
  taskId: z.string().nullable(),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
  verifiedAt: z.string().nullable().describe('Last restore (or drill) that checked this backup against its manifest'),
  verifyError: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

export const BackupPage = z.object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int(), items: z.array(BackupOutput) });
export const ListInput = z.object({
  veId: Id.optional(),
  storageId: Id.optional(),
  state: z.enum(['queued', 'running', 'completed', 'failed']).optional(),
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
});

export const SnapshotOutput = z.object({
  id: z.string(), veId: z.string(), name: z.string(), state: z.enum(['creating', 'ready', 'failed', 'deleting']),
  sizeBytes: z.number().nullable(), error: z.string().nullable(), createdAt: z.string(),
});

export const SnapshotName = z.string().trim().max(64).regex(/^[A-Za-z0-9 _.:@+-]*$/, 'letters, digits, space and _.:@+-').default('');

export const DownloadLink = z.object({
  url: z.string().describe('Path on the panel; works once, within expiresAt; streams the tree as a tar file'),
  expiresAt: z.string(),
});

/** A restore replaces the VE's disk: the caller types the VE's CTID to confirm. */
export const Confirm = z.string().max(20).describe('the CTID of the VE whose data is replaced, typed to confirm');

/** Names a backup (or snapshot) as this mutation's audit target. */
export function auditTarget(ctx: Context, type: 'backup' | 'snapshot' | 'backupStorage' | 'backupSchedule', id: string): void {
  if (ctx.audit) ctx.audit.target = { type, id };
}

/** CONFLICT unless `confirm` is the CTID of the VE being overwritten. */
export function checkConfirm(confirm: string, ctid: number): void {
  if (confirm.trim() !== String(ctid)) throw new AppError('BAD_INPUT', `confirm: type the CTID ${ctid} to replace its data`, { field: 'confirm' });
}
