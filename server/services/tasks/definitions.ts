// Every task type the panel queues, defined once with the schema of its params: services enqueue
// them typed, the runner parses them before the handler sees them (server/operations/tasks/registry).
import { z } from 'zod';
import { AppError } from '@/server/errors';
import { LIMIT_KEYS, type LimitKey } from '@/server/services/plans/limits';

const Ctid = z.number().int().positive();
// Limits as stored on the VE: whole numbers; their valid ranges are the API's business, checked where a request enters.
const Limits = z.object(Object.fromEntries(LIMIT_KEYS.map((k) => [k, z.number().int().nonnegative()])) as Record<LimitKey, z.ZodNumber>);
const VeStateName = z.enum(['creating', 'stopped', 'running', 'suspended', 'migrating', 'reinstalling', 'error', 'destroying', 'restoring']);
const PowerState = z.enum(['running', 'stopped']);
const MigrateMode = z.enum(['auto', 'offline', 'two-pass', 'online-criu']);
/** "$6$…" crypt hash; a clear password never enters a task. */
const CryptHash = z.string().startsWith('$6$');

const VeCreate = z.object({
  ctid: Ctid,
  hostname: z.string(),
  template: z.string(),
  limits: Limits,
  addresses: z.array(z.object({ address: z.string(), family: z.union([z.literal(4), z.literal(6)]), prefix: z.number().int(), gateway: z.string().nullable() })),
  nameservers: z.array(z.string()),
  rootPasswordHash: CryptHash.nullable(),
  sshKeys: z.array(z.string()),
});

const Suspension = z.object({
  ctid: Ctid,
  mode: z.enum(['stop', 'network']),
  /** Power state to return to on unsuspend. */
  restore: PowerState,
  addresses: z.array(z.object({ cidr: z.string(), family: z.union([z.literal(4), z.literal(6)]), gateway: z.string().nullable() })),
});

const Power = z.object({ ctid: Ctid.optional() });

export const TASKS = {
  've.create': VeCreate,
  've.start': Power,
  've.stop': Power.extend({ timeoutSec: z.number().int().positive().optional() }),
  've.kill': Power,
  've.restart': Power,
  've.suspend': Power,
  've.resume': Power,
  've.set': z.object({
    ctid: Ctid.optional(),
    /** The changed limits only; with planId, the plan change they come from (written when the node confirms). */
    limits: Limits.partial().optional(),
    needsRestart: z.array(z.string()).optional(),
    planId: z.string().optional(),
    overrides: Limits.partial().optional(),
    hostname: z.string().optional(),
    passwordHash: CryptHash.optional(),
    /** Drift repair ("push the panel's value"): addresses as CIDRs, with the v4 gateway; DNS servers; start with the node. */
    ips: z.array(z.string()).optional(),
    gateway: z.string().optional(),
    nameservers: z.array(z.string()).optional(),
    onboot: z.boolean().optional(),
  }),
  // The VE row (and the task's veId) are gone when its webhook is sent: the event names the VE from these.
  've.destroy': z.object({ ctid: Ctid.optional(), previousState: VeStateName.optional(), veId: z.string().optional(), externalId: z.string().nullable().optional(), hostname: z.string().optional() }),
  've.reinstall': z.object({ ctid: Ctid.optional(), template: z.string(), templateId: z.string(), templateVersion: z.number().int().optional(), previousState: VeStateName, passwordHash: CryptHash.optional() }),
  've.billing.suspend': Suspension,
  've.billing.unsuspend': Suspension,
  've.migrate': z.object({
    targetNodeId: z.string(),
    sourceNodeId: z.string(),
    mode: MigrateMode.optional(),
    /** How long the source keeps `<ctid>.migrated-<ts>` (hours). */
    keepHours: z.number().optional(),
    bwlimitKBps: z.number().optional(),
    /** Set when a node.evacuate task asked for this migration. */
    evacuateTaskId: z.string().optional(),
    /** online-criu: if the live migration fails and the VE runs on the source again, retry two-pass (issue 13). */
    retryTwoPass: z.boolean().optional(),
    /** VE state before the request set it to migrating (restored on a failure before commit). */
    prevState: VeStateName,
  }),
  // An OpenVZ VE brought in (issue 16): the Ve row and its addresses exist; the node copies and creates.
  've.import': z.object({
    sourceId: z.string(),
    conf: z.string(),
    private: z.string().optional(),
    addresses: z.array(z.object({ address: z.string(), family: z.union([z.literal(4), z.literal(6)]), prefix: z.number().int(), gateway: z.string().nullable() })),
    limits: Limits,
    template: z.string(),
    start: z.boolean(),
  }),
  've.migrated.cleanup': z.object({ ctid: Ctid, nodeId: z.string(), name: z.string() }),
  'node.evacuate': z.object({
    veIds: z.array(z.string()).optional(),
    concurrency: z.number().int().positive().optional(),
    mode: MigrateMode.optional(),
    keepHours: z.number().optional(),
    bwlimitKBps: z.number().optional(),
    removeAfter: z.boolean().optional(),
  }),
  'node.bootstrap': z.object({
    address: z.string(),
    sshPort: z.number().int(),
    sshUser: z.string(),
    hostKeyFingerprint: z.string(),
    /** Sealed one-time credential; erased when the task ends. */
    credential: z.string().optional(),
  }),
  // veui: an extra address added to / removed from a VE live (the IpAddress row is bound at request time, freed when the node has dropped it).
  've.address': z.object({ ctid: Ctid.optional(), op: z.enum(['add', 'remove']), address: z.string(), cidr: z.string() }),
  // veui: the VE's panel-managed SSH keys written to its /root/.ssh/authorized_keys (add / remove by key body).
  've.sshkeys': z.object({ ctid: Ctid.optional(), add: z.array(z.string()), remove: z.array(z.string()) }),
  // The bulk job row points at its task, so the task is written first and learns the job id right after.
  'bulk.run': z.object({ bulkJobId: z.string().optional() }),
  // Backups and snapshots (bkpanel, issue 12): the Backup / VeSnapshot / BackupStorage rows carry the detail.
  'backup.create': z.object({ backupId: z.string() }),
  /** Restore into the task's VE (the backed-up one, or a new one an admin created for it). */
  'backup.restore': z.object({ backupId: z.string(), start: z.boolean().optional(), newVe: z.boolean().optional(), /** the VE's state before the request set it to restoring */ previousState: VeStateName.optional() }),
  /** Remove these backups, or apply a retention policy to one VE's backups in one storage. */
  'backup.forget': z.object({
    storageId: z.string(), backupIds: z.array(z.string()).optional(), veId: z.string().optional(),
    keepDaily: z.number().int().nonnegative().optional(), keepWeekly: z.number().int().nonnegative().optional(), keepMonthly: z.number().int().nonnegative().optional(),
  }),
  'backup.storage.check': z.object({ storageId: z.string(), init: z.boolean().optional() }),
  /** Restore a backup (a random recent one when not named) into a throwaway VE, compare with its manifest, remove the VE. */
  'backup.drill': z.object({ backupId: z.string().optional() }),
  've.snapshot.create': z.object({ snapshotId: z.string(), maxCount: z.number().int().positive().optional() }),
  've.snapshot.rollback': z.object({ snapshotId: z.string() }),
  've.snapshot.delete': z.object({ snapshotId: z.string() }),
  // quota (issue 11): a traffic-ladder step on the node: throttle in bits/s (0 lifts), network cut or restored.
  've.quota': z.object({
    ctid: Ctid,
    throttle: z.number().int().nonnegative().optional(),
    network: z.enum(['cut', 'restore']).optional(),
    addresses: z.array(z.object({ cidr: z.string(), family: z.union([z.literal(4), z.literal(6)]), gateway: z.string().nullable() })),
    why: z.string(),
  }),
  // Template distribution (issue 16): the template's newest version pushed to the task's node (TemplateCache row follows).
  'template.sync': z.object({ templateId: z.string(), why: z.string() }),
} as const;

export type TaskType = keyof typeof TASKS;
export type TaskParams<T extends TaskType> = z.infer<(typeof TASKS)[T]>;
/** Task types that only tests register (their params are free-form). */
export type TestTaskType = `test.${string}`;

export const isTaskType = (t: string): t is TaskType => Object.hasOwn(TASKS, t);

/**
 * `params` parsed by the definition of `type`; INTERNAL (a programming error, not bad user input)
 * when they do not match. `strict` (new tasks) also refuses keys the definition does not name, so a
 * field added at one end only fails loudly instead of being dropped.
 */
export function parseTaskParams<T extends TaskType>(type: T, params: unknown, what: string, opts: { strict?: boolean } = {}): TaskParams<T> {
  const schema = TASKS[type];
  const r = (opts.strict ? schema.strict() : schema).safeParse(params);
  if (!r.success) throw new AppError('INTERNAL', `${what} (${type}): params do not match its definition: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data as TaskParams<T>;
}
