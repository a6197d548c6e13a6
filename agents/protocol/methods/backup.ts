import { z } from 'zod';
import { defineMethod } from '../define';
import { Ctid } from './ve';

/*
 * Backups, snapshots and restore (issue 12): the node half. Contract for the panel:
 *
 * - A repository is a restic repository, local to the node (`kind: 'local'`, an absolute path) or
 *   on another machine over SFTP (`kind: 'sftp'`: host, port, user, path, its pinned host key as a
 *   known_hosts line `type base64` or an OpenSSH fingerprint `SHA256:...`, and a private key). The
 *   RepoSpec travels in every call that needs it; the agent keeps nothing. Secrets (`password`,
 *   `privateKey`) are redacted from logs and the journal by their field names, reach restic only
 *   through its environment or 0600 temp files removed when the call ends, never an argv.
 * - Backups are taken from a point-in-time copy of the VE's image (the VE is frozen only while
 *   the copy is made: `pauseMs`; a reflink copy on XFS/btrfs takes milliseconds, a sparse copy
 *   longer; `node.info.backup` says which this node does and why). The file tree is backed up
 *   (restic deduplicates and increments), with a sha256 manifest of every regular file stored in
 *   the same restic snapshot; restore verifies the rebuilt tree against it before swapping it in.
 * - Every restic snapshot is tagged `vzpanel`, `ctid:<ctid>` and (when given) `ve:<veId>`; list
 *   and forget filter by those tags. Snapshot ids are restic's (64 hex; 8-hex short ids accepted).
 * - ve.backup.create locks the VE only while it copies the image; the upload runs unlocked, so
 *   the VE can be stopped, started or changed meanwhile. Restore and snapshot verbs lock the VE.
 *   A failed backup never leaves the VE frozen or stopped; an agent killed mid-backup leaves a
 *   consistent repository (restic's own check passes) and its temp copy is removed at next start.
 * - Restore targets an EXISTING VE (`ctid`): the same VE, or another one the panel created first
 *   (ve.create with its own ctid, addresses and limits). The target keeps its conf; only its disk
 *   contents are replaced, all at once (old data or new, never a mix). A VE that was running is
 *   started again.
 * - Export: ve.backup.export answers a single-use token (valid `ttlSec`); the tarball is then read
 *   as a byte stream: `vzagent backup-export <token>` over the panel's SSH channel (SSH_ORIGINAL_COMMAND,
 *   like the web console), or the header line `{"stream":"backup-export","token":"..."}` on the daemon
 *   socket. After the usual ack line the stream uses the console framing (agents/protocol/console.ts):
 *   DATA frames carry the tar bytes, then EXIT {code:0} when the tarball is complete, or ERROR
 *   {code,message} when it failed (discard what came). The token is consumed by the first stream.
 *   The tarball's entries are the VE's files under `ve/` (e.g. `ve/etc/passwd`).
 * - Inside the repository a backup's tree is `/ve/...` plus `/manifest.sha256` (sha256sum format),
 *   in one snapshot. A first backup (no hash index on the node) also leaves a `vzpanel-tree`
 *   snapshot: restic stores the tree while the manifest is hashed, then a second run on top of it
 *   adds the manifest. It shares all its data, is never listed, and ve.backup.forget drops it
 *   once it is an hour old.
 * - Local snapshots (ve.snapshot.*) are copies of the image on the node (not in restic), listed
 *   with id (uuid), name and time; `maxCount` is the caller's (plan's) cap, enforced at create.
 * - Errors: REPO_UNREACHABLE, REPO_HOST_KEY_MISMATCH, REPO_AUTH_FAILED (SSH refused the key),
 *   REPO_FULL (ENOSPC at the repository), REPO_WRONG_PASSWORD, REPO_NOT_FOUND (not initialised),
 *   REPO_LOCKED (another restic holds an exclusive lock), SNAPSHOT_NOT_FOUND, SNAPSHOT_LIMIT,
 *   VERIFY_FAILED (restored tree differs from the manifest), plus the usual VE_* codes.
 *   Features: `ve-backup` (restic usable), `ve-snapshot`, `reflink-copy` in hello.capabilities.features.
 */

const Secret = z.string().min(1).max(1024);
const HostKeyLine = z.string().max(16_384)
  .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,2}$/, 'host key line `type base64`');
const HostKeyFingerprint = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'OpenSSH fingerprint `SHA256:...`');

export const LocalRepoSpec = z.object({
  kind: z.literal('local'),
  /** Absolute path of the repository folder on this node (created by backup.repo.init). */
  path: z.string().max(4096).regex(/^\/[A-Za-z0-9_.+@=,:/-]*$/, 'absolute path of plain characters'),
  /** restic repository password (secret). */
  password: Secret,
});

export const SftpRepoSpec = z.object({
  kind: z.literal('sftp'),
  host: z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'host: name or address'),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/),
  /** Repository path on the remote side (absolute, or relative to the user's home). */
  path: z.string().max(4096).regex(/^[A-Za-z0-9_.+@=,/-][A-Za-z0-9_.+@=,:/-]*$/, 'path of plain characters'),
  /** Pinned host key: a known_hosts line `type base64` or its `SHA256:` fingerprint (never trust on first use). */
  hostKey: z.union([HostKeyLine, HostKeyFingerprint]),
  /** OpenSSH private key for `user` (secret). */
  privateKey: z.string().min(1).max(16_384),
  /** restic repository password (secret). */
  password: Secret,
});

export const RepoSpec = z.discriminatedUnion('kind', [LocalRepoSpec, SftpRepoSpec]);
export type RepoSpec = z.infer<typeof RepoSpec>;

/** restic snapshot id: full 64 hex or a unique short prefix (8+ hex). */
export const ResticSnapshotId = z.string().regex(/^[0-9a-f]{8,64}$/, 'restic snapshot id (hex)');
/** The panel's VE id, recorded as a tag `ve:<id>`. */
export const VeTagId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const Digest = z.string().regex(/^[0-9a-f]{64}$/);
const Bytes = z.number().int().nonnegative();
const Ms = z.number().nonnegative();

/** How the point-in-time copy of an image is made on this node. */
export const CopyMode = z.enum(['reflink', 'sparse']);
export const BackupCapability = z.object({
  copyMode: CopyMode,
  /** Why: the filesystem of <vzroot>/private and whether FICLONE worked there. */
  reason: z.string(),
  filesystem: z.string(),
  /** `restic version` output, or null when restic is missing (no ve-backup feature). */
  restic: z.string().nullable(),
});

export const BackupSnapshot = z.object({
  id: z.string(),
  shortId: z.string(),
  time: z.string().describe('ISO time the backup was taken'),
  hostname: z.string(),
  tags: z.array(z.string()),
  ctid: z.number().int().optional(),
  veId: z.string().optional(),
  /** Manifest digest (from the tag `manifest:<digest>`). */
  manifestDigest: Digest.optional(),
});

export const BackupCreateResult = z.object({
  ctid: Ctid,
  snapshotId: z.string(),
  shortId: z.string(),
  /** The previous snapshot restic used as the parent (incremental), if any. */
  parentId: z.string().optional(),
  time: z.string(),
  bytesAdded: Bytes.describe('new data stored in the repository (after dedup, before compression)'),
  bytesProcessed: Bytes.describe('bytes of the tree read'),
  filesNew: Bytes, filesChanged: Bytes, filesUnmodified: Bytes,
  manifestDigest: Digest,
  manifestFiles: Bytes,
  /** How long the VE was frozen (0 when it was not running). */
  pauseMs: Ms,
  copyMode: CopyMode,
  ms: Ms,
});

export const BackupRestoreResult = z.object({
  ctid: Ctid,
  snapshotId: z.string(),
  manifestDigest: Digest,
  /** Regular files checked against the manifest (all of them). */
  verifiedFiles: Bytes,
  bytes: Bytes,
  status: z.enum(['running', 'stopped']),
  ms: Ms,
});

export const LocalSnapshot = z.object({
  id: z.string().uuid(),
  ctid: Ctid,
  name: z.string(),
  createdAt: z.string(),
  /** Apparent size of the image copy (space used is less: sparse or shared by reflink). */
  sizeBytes: Bytes,
  copyMode: CopyMode,
});

const SnapshotName = z.string().max(64).regex(/^[A-Za-z0-9 _.:@+-]*$/, 'letters, digits, space and _.:@+-');
const repoOnly = z.object({ repo: RepoSpec });
/** Which VE's snapshots: by ctid tag, by VE id tag, or all of this repository. */
const VeFilter = { ctid: Ctid.optional(), veId: VeTagId.optional() };

export const backupMethods = {
  'backup.repo.init': defineMethod({
    params: repoOnly,
    result: z.object({ created: z.boolean().describe('false: a repository was already there (password checked)'), repoId: z.string(), ms: Ms }),
    mutating: true,
    description: 'Create the restic repository (or check an existing one opens with this password).',
  }),
  'backup.repo.check': defineMethod({
    params: z.object({ repo: RepoSpec, readDataPercent: z.number().int().min(0).max(100).default(0).describe('also read this % of pack data') }),
    result: z.object({ ok: z.boolean(), snapshots: Bytes, repoId: z.string(), message: z.string(), ms: Ms }),
    mutating: false,
    description: 'Reach the repository, open it with the password and run `restic check` (ok=false: damaged, message says why).',
  }),
  've.backup.create': defineMethod({
    params: z.object({ ctid: Ctid, repo: RepoSpec, veId: VeTagId.optional(), tags: z.array(z.string().regex(/^[A-Za-z0-9_.:=-]{1,64}$/)).max(8).optional() }),
    result: BackupCreateResult,
    mutating: true,
    description: 'Point-in-time copy of the VE disk (brief freeze), then restic backup of its tree with a sha256 manifest.',
  }),
  've.backup.list': defineMethod({
    params: z.object({ repo: RepoSpec, ...VeFilter }),
    result: z.object({ snapshots: z.array(BackupSnapshot) }),
    mutating: false,
    description: 'Backups in the repository, oldest first (filtered by ctid/veId tags when given).',
  }),
  've.backup.forget': defineMethod({
    params: z.object({
      repo: RepoSpec, ...VeFilter,
      /** Exact snapshots to remove; or a retention policy below (not both). */
      snapshotIds: z.array(ResticSnapshotId).max(1000).optional(),
      keepLast: z.number().int().min(0).max(10_000).optional(),
      keepDaily: z.number().int().min(0).max(10_000).optional(),
      keepWeekly: z.number().int().min(0).max(10_000).optional(),
      keepMonthly: z.number().int().min(0).max(10_000).optional(),
      /** Also free the space (restic prune); false only marks them forgotten. */
      prune: z.boolean().default(true),
    }).refine((p) => !!p.snapshotIds !== [p.keepLast, p.keepDaily, p.keepWeekly, p.keepMonthly].some((k) => k !== undefined), 'give snapshotIds or a keep* policy, not both')
      .refine((p) => !!p.snapshotIds || p.ctid !== undefined || p.veId !== undefined, 'a retention policy applies per VE: give ctid or veId'),
    result: z.object({ removed: z.array(z.string()), kept: z.array(z.string()), pruned: z.boolean(), ms: Ms }),
    mutating: true,
    description: 'Remove backups by id or by retention (keep-last/daily/weekly/monthly per VE), then prune.',
  }),
  've.backup.restore': defineMethod({
    params: z.object({
      /** The VE whose disk is replaced: the backed-up VE or another existing one. */
      ctid: Ctid,
      repo: RepoSpec,
      snapshotId: ResticSnapshotId,
      /** Run the VE afterwards: default = as it was before the restore. */
      start: z.boolean().optional(),
    }),
    result: BackupRestoreResult,
    mutating: true,
    description: 'Rebuild the VE disk from a backup, verify it against the manifest, swap it in atomically (stop/start as needed).',
  }),
  've.backup.export': defineMethod({
    params: z.object({ repo: RepoSpec, snapshotId: ResticSnapshotId, ttlSec: z.number().int().min(10).max(86_400).default(600) }),
    result: z.object({ token: z.string(), expiresAt: z.string(), command: z.string().describe('what to run over the SSH channel') }),
    mutating: false,
    description: 'A single-use token for streaming the backup\'s tree as a tarball (`vzagent backup-export <token>`).',
  }),
  've.snapshot.create': defineMethod({
    params: z.object({ ctid: Ctid, name: SnapshotName.optional(), maxCount: z.number().int().min(1).max(1000).optional() }),
    result: LocalSnapshot.extend({ pauseMs: Ms }),
    mutating: true,
    description: 'Local restore point: a copy of the VE image (reflink where the filesystem has it), frozen briefly if running.',
  }),
  've.snapshot.list': defineMethod({
    params: z.object({ ctid: Ctid }),
    result: z.object({ ctid: Ctid, snapshots: z.array(LocalSnapshot) }),
    mutating: false,
    description: 'Local snapshots of a VE, oldest first.',
  }),
  've.snapshot.rollback': defineMethod({
    params: z.object({ ctid: Ctid, id: z.string().uuid(), start: z.boolean().optional() }),
    result: z.object({ ctid: Ctid, id: z.string().uuid(), status: z.enum(['running', 'stopped']), ms: Ms }),
    mutating: true,
    description: 'Put the VE disk back to a snapshot (stop, swap, start again if it ran); the snapshot stays.',
  }),
  've.snapshot.delete': defineMethod({
    params: z.object({ ctid: Ctid, id: z.string().uuid() }),
    result: z.object({ ctid: Ctid, id: z.string().uuid(), deleted: z.literal(true) }),
    mutating: true,
    description: 'Remove a local snapshot.',
  }),
};
