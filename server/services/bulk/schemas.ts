// Wire shapes of bulk jobs: which VEs (selector), what to do (action), how to roll it out.
import { z } from 'zod';
import { OverrideChanges } from '@/server/services/plans/limits';
import { VE_STATES } from '@/server/services/ves/list';

const Id = z.string().min(1).max(64);
const Ids = z.array(Id).min(1).max(1000);

/** Every filter given is ANDed; a list inside one filter is an OR. */
export const BulkSelector = z.object({
  nodeIds: Ids.optional(),
  nodeGroupIds: Ids.optional(),
  planIds: Ids.optional(),
  templateIds: Ids.optional(),
  /** Template OS names, e.g. "debian", "busybox". */
  os: z.array(z.string().min(1).max(64)).min(1).max(50).optional(),
  ownerIds: Ids.optional(),
  states: z.array(z.enum(VE_STATES)).min(1).max(VE_STATES.length).optional(),
  /** VEs carrying any of these tags. */
  tags: z.array(z.string().min(1).max(100)).min(1).max(50).optional(),
  /** Explicit list (e.g. the UI's multi-select). */
  ctids: z.array(z.number().int().min(100).max(2_147_483_647)).min(1).max(10_000).optional(),
  veIds: z.array(Id).min(1).max(10_000).optional(),
}).strict().refine((s) => Object.values(s).some((v) => v !== undefined), 'give at least one filter (an empty selector would mean every VE)');
export type BulkSelector = z.infer<typeof BulkSelector>;

export const BulkAction = z.discriminatedUnion('type', [
  z.object({ type: z.literal('script'), script: z.string().min(1).max(1024 * 1024).describe('shell, sent to /bin/sh on stdin'), timeoutSec: z.number().int().min(1).max(86_400).default(300) }),
  z.object({
    type: z.literal('packageUpdate'), timeoutSec: z.number().int().min(10).max(86_400).default(1800), upgrade: z.boolean().default(true),
    /** Install or upgrade just these packages (instead of a full upgrade). */
    packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]{0,99}$/, 'a Debian package name')).min(1).max(200).optional(),
  }),
  z.object({ type: z.literal('power'), action: z.enum(['start', 'stop', 'restart']) }),
  z.object({ type: z.literal('limits'), overrides: OverrideChanges }),
  z.object({ type: z.literal('migrate'), targetNodeId: Id.optional(), mode: z.enum(['auto', 'offline', 'two-pass', 'online-criu']).optional() }),
]);
export type BulkAction = z.infer<typeof BulkAction>;

export const BulkRollout = z.object({
  /** First batch (canary); 0 = none. */
  canarySize: z.number().int().min(0).max(10_000).default(0),
  /** Later batches; 0 = all the rest in one. */
  batchSize: z.number().int().min(0).max(10_000).default(0),
  /** VEs at once on each node. */
  concurrency: z.number().int().min(1).max(128).default(8),
  /** Start no further batch once this many VEs failed. */
  stopAfterFailures: z.number().int().min(1).max(10_000).optional(),
}).strict();
export type BulkRollout = z.infer<typeof BulkRollout>;

export const CreateBulkJobInput = z.object({
  selector: BulkSelector,
  action: BulkAction,
  rollout: BulkRollout.default({ canarySize: 0, batchSize: 0, concurrency: 8 }),
  /** The preview's total: refused (CONFLICT) when the selection changed since. */
  expectTotal: z.number().int().min(0).optional(),
}).strict();
export type CreateBulkJobInput = z.input<typeof CreateBulkJobInput>;

/** Upper bound of one job (a bigger fleet: several jobs, e.g. per node group). */
export const MAX_BULK_VES = 10_000;
