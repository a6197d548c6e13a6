import { z } from 'zod';
import { defineMethod } from '../define';

// Migration between nodes (two-pass rsync over a node-to-node SSH channel) and CRIU checkpoint.
// Target verbs: prepareTarget, commitTarget, abortTarget. Source verbs: describe, send, freeze,
// finishSource, abortSource, purge. Both: manifest.

const ctid = z.number().int().min(1).max(2 ** 31 - 1);
const ctidParams = z.object({ ctid });

/** Where the source's rsync connects: the target node's sshd, its pinned host key, the user. */
export const MigrateTargetSchema = z.object({
  host: z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'host: name or address'),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/).default('root'),
  /** Pinned host key of the target, `type base64` (as stored on the Node row). */
  hostKey: z.string().regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,2}$/),
  /** The prepared root on the target (prepareTarget's `root`); the target's forced command re-checks it. */
  root: z.string().regex(/^\/[A-Za-z0-9_./-]{1,4000}$/),
});

/** The VE's conf as the source has it (without the source's id range: the target picks its own). */
export const MigrateVeConfigSchema = z.record(z.string(), z.unknown());

export const ManifestResult = z.object({
  /** sha256 over the sorted per-entry lines (type, mode, owner, size, content sha256 or link target). */
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  entries: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  ms: z.number().nonnegative(),
  /** Files actually read this time (the rest had unchanged inode/size/mtime/ctime since the last run). */
  hashed: z.number().int().nonnegative().optional(),
});

export const SendResult = z.object({
  pass: z.number().int().min(1),
  ms: z.number().nonnegative(),
  /** The handler's own time (the call's wall time minus this is the journal and the transport). */
  agentMs: z.number().nonnegative().optional(),
  filesTransferred: z.number().int().nonnegative(),
  bytesTransferred: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative(),
  /** changedOnly passes: what was sent, the changed names or the whole tree, and why the whole tree. */
  selection: z.object({ mode: z.enum(['changed', 'full']), listed: z.number().int().nonnegative().optional(), entries: z.number().int().nonnegative().optional(), reason: z.string().optional(), walkMs: z.number().nonnegative().optional(),
    /** The rsync part of the pass; held: it ran in the pass opened before the freeze (heldFailed: that one failed, a fresh one ran). */
    rsyncMs: z.number().nonnegative().optional(), held: z.boolean().optional(), heldFailed: z.string().optional(),
  }).optional(),
});

const status = z.enum(['running', 'stopped', 'suspended', 'starting', 'stopping', 'unknown']);

export const migrateMethods = {
  'migrate.describe': defineMethod({
    params: ctidParams,
    result: z.object({
      ctid,
      status,
      config: MigrateVeConfigSchema,
      imageBytes: z.number().int().nonnegative(),
      usedBytes: z.number().int().nonnegative(),
      usedInodes: z.number().int().nonnegative(),
    }),
    mutating: false,
    description: 'Source: the VE conf, power state, image size and used space a migration needs.',
  }),
  'migrate.prepareTarget': defineMethod({
    params: z.object({
      ctid,
      config: MigrateVeConfigSchema,
      imageBytes: z.number().int().min(1),
      usedBytes: z.number().int().nonnegative(),
      /** Public key of the one-off migration key pair; installed restricted to `vzagent rsync-recv` for this ctid. */
      authorizedKey: z.string().max(16_384),
      migrationId: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/),
    }),
    result: z.object({ ctid, root: z.string(), imageBytes: z.number().int(), idmapFirst: z.number().int() }),
    mutating: true,
    description: 'Target: check ctid/addresses/capacity/template, create and mount an empty image of the same size.',
  }),
  'migrate.send': defineMethod({
    params: z.object({
      ctid,
      pass: z.number().int().min(1).max(10),
      target: MigrateTargetSchema,
      /** OpenSSH private key of the one-off migration key (secret: redacted from logs and journal). */
      privateKey: z.string().min(1).max(16_384),
      /** rsync --bwlimit in KiB/s, 0 = unlimited. */
      bwlimitKBps: z.number().int().min(0).max(10_000_000).default(0),
      /** First pass of a running VE: take the change baseline before copying (feature migrate-changed-only). */
      track: z.boolean().optional(),
      /** Final pass of a frozen VE: send only what changed since the baseline; the whole tree when it cannot be trusted. */
      changedOnly: z.boolean().optional(),
    }),
    result: SendResult,
    mutating: true,
    description: 'Source: rsync -aHAX --numeric-ids --delete --inplace of the VE root to the prepared target.',
  }),
  'migrate.armFinal': defineMethod({
    params: z.object({
      ctid, target: MigrateTargetSchema,
      /** OpenSSH private key of the one-off migration key (secret: redacted from logs and journal). */
      privateKey: z.string().min(1).max(16_384),
      bwlimitKBps: z.number().int().min(0).max(10_000_000).default(0),
    }),
    result: z.object({ ctid, ready: z.boolean(), ms: z.number() }),
    mutating: true,
    description: 'Source (feature migrate-prepared-pause): start the final pass (SSH session, target receiver) before the freeze; migrate.send{changedOnly} hands it the change list.',
  }),
  'migrate.freeze': defineMethod({
    params: ctidParams,
    result: z.object({ ctid, frozen: z.boolean(), ms: z.number() }),
    mutating: true,
    description: 'Source: freeze the running VE for the final copy (abortSource thaws it).',
  }),
  'migrate.manifest': defineMethod({
    params: z.object({
      ctid, side: z.enum(['source', 'target']),
      /** syncfs first (the warm-up before the freeze: dirty pages are not flushed inside the pause). */
      flush: z.boolean().optional(),
      /** Also return the per-entry lines (a verify that found a difference names the entries). */
      listing: z.boolean().optional(),
    }),
    result: ManifestResult.extend({ lines: z.array(z.string()).optional() }),
    mutating: false,
    description: 'sha256 manifest of the VE root as it is on this node (source: frozen or stopped; target: prepared).',
  }),
  'migrate.commitTarget': defineMethod({
    params: z.object({
      ctid, start: z.boolean(),
      /** online-criu: restore the VE from the dump in its root instead of starting it. */
      restore: z.boolean().optional(),
    }),
    result: z.object({ ctid, status, ms: z.number() }),
    mutating: true,
    description: 'Target: write conf + LXC config with this node\'s id range, drop the migration key, optionally start.',
  }),
  'migrate.stopSource': defineMethod({
    params: ctidParams,
    result: z.object({ ctid, ms: z.number() }),
    mutating: true,
    description: 'Source: kill the frozen VE (nothing runs after the final copy); its files stay for finishSource.',
  }),
  'migrate.finishSource': defineMethod({
    params: z.object({ ctid, keepHours: z.number().min(0).max(24 * 365).default(168) }),
    result: z.object({ ctid, migratedName: z.string(), keepUntil: z.string(), ms: z.number() }),
    mutating: true,
    description: 'Source: stop the VE, move its private area to <ctid>.migrated-<ts> (kept for keepHours), free its id range.',
  }),
  'migrate.abortTarget': defineMethod({
    params: ctidParams,
    result: z.object({ ctid, removed: z.boolean() }),
    mutating: true,
    description: 'Target: remove a prepared (uncommitted) copy: key, mount, loop device, image, id range.',
  }),
  'migrate.abortSource': defineMethod({
    params: ctidParams,
    result: z.object({ ctid, thawed: z.boolean(), status }),
    mutating: true,
    description: 'Source: thaw the VE if the migration froze it; the VE keeps running here.',
  }),
  'migrate.purge': defineMethod({
    params: z.object({ ctid, name: z.string().regex(/^\d+\.migrated-\d{8}T\d{6}Z$/) }),
    result: z.object({ ctid, name: z.string(), removed: z.boolean() }),
    mutating: true,
    description: 'Source: delete a kept <ctid>.migrated-<ts> private area.',
  }),
  'migrate.checkpoint': defineMethod({
    params: ctidParams,
    result: z.object({ ctid, ms: z.number() }),
    mutating: true,
    description: 'Source (online-criu): dump the running VE with CRIU into its root and stop it; migrate.restoreSource brings it back.',
  }),
  'migrate.restoreSource': defineMethod({
    params: ctidParams,
    result: z.object({ ctid, status, ms: z.number() }),
    mutating: true,
    description: 'Source (online-criu): restore the VE from its migration dump after the target could not (the VE resumes here).',
  }),
  've.checkpoint': defineMethod({
    params: z.object({
      ctid, stop: z.boolean().default(false),
      /** Dump folder (default <vzroot>/dump/<ctid>); replaced if it exists. */
      file: z.string().regex(/^\/[A-Za-z0-9_./-]{1,4000}$/).optional(),
    }),
    result: z.object({ ctid, file: z.string(), ms: z.number().optional(), status: status.optional() }),
    mutating: true,
    description: 'Checkpoint a running VE to a file with CRIU (UNSUPPORTED with the reason where criu check fails).',
  }),
  've.restore': defineMethod({
    params: z.object({ ctid, file: z.string().regex(/^\/[A-Za-z0-9_./-]{1,4000}$/).optional() }),
    result: z.object({ ctid, status, ms: z.number().optional() }),
    mutating: true,
    description: 'Restore a VE from its CRIU checkpoint (UNSUPPORTED with the reason where criu check fails).',
  }),
};
