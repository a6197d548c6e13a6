// Plan change for one VE: keeps paid per-VE overrides, says what changes and what the node can do live.
import type { VeState } from '@/server/db/client';
import { effectiveLimits, LIMIT_KEYS, readOverrides, type LimitKey, type LimitOverrides, type Limits, type OverrideChanges, OverrideChanges as OverrideChangesSchema, parseOrBadInput } from './limits';

/** How the node applies a changed field (REFERENCE.md §2): cgroup knobs live; disk grows live, shrinks only stopped. */
type ApplyPolicy = 'live' | 'grow-live' | 'restart' | 'fixed';
export const APPLY_POLICY: Record<LimitKey, ApplyPolicy> = {
  ram: 'live',
  swap: 'live',
  cpuunits: 'live',
  cpulimit: 'live',
  cpus: 'live',
  numproc: 'live',
  ioprio: 'live',
  iolimit: 'live',
  iopslimit: 'live',
  bandwidth: 'live',
  diskspace: 'grow-live',
  // The inode count of an ext4 filesystem is fixed when it is made (create, reinstall).
  diskinodes: 'fixed',
};

export interface LimitChange {
  field: LimitKey;
  from: number | null;
  to: number;
}

export interface PlanChangeResult {
  planId: string;
  /** Overrides after the change: the old ones, with explicit replacements applied. */
  overrides: LimitOverrides;
  limits: Limits;
  changes: LimitChange[];
  /** Fields that only take effect after the VE restarts (a disk grow where the node cannot grow a mounted filesystem). */
  needsRestart: LimitKey[];
  /** Why the change cannot be applied now; empty = it can. */
  refused: Array<{ field: LimitKey; reason: string }>;
}

export interface VeForPlanChange {
  ctid: number;
  state: VeState;
  /** Current effective limits (Ve.limits). */
  limits: unknown;
  /** Current per-VE overrides (Ve.overrides). */
  overrides: unknown;
}

/** What the VE's node can do live (from its `hello` features). */
export interface NodeForPlanChange {
  /** A running VE's disk grows at once; false = the grow takes effect at the next start. */
  diskGrowOnline: boolean;
}

/**
 * Computes a plan change. Existing overrides survive unless `explicitOverrides` names the field
 * (a number replaces it, null drops it back to the plan value), so a billing plan change never
 * silently resets what a customer paid for. A disk shrink while the VE runs is refused with a reason.
 */
export function changePlan(ve: VeForPlanChange, newPlan: Limits & { id: string }, explicitOverrides: OverrideChanges = {}, node: NodeForPlanChange = { diskGrowOnline: true }): PlanChangeResult {
  const explicit = parseOrBadInput(OverrideChangesSchema, explicitOverrides, 'overrides.') as OverrideChanges;
  const overrides: LimitOverrides = { ...readOverrides(ve.overrides) };
  for (const k of LIMIT_KEYS) {
    const v = explicit[k];
    if (v === null) delete overrides[k];
    else if (v !== undefined) overrides[k] = v;
  }
  const limits = effectiveLimits(newPlan, overrides);
  const before = (ve.limits && typeof ve.limits === 'object' ? ve.limits : {}) as Record<string, unknown>;
  const changes: LimitChange[] = [];
  const needsRestart: LimitKey[] = [];
  const refused: PlanChangeResult['refused'] = [];
  for (const field of LIMIT_KEYS) {
    const from = typeof before[field] === 'number' ? (before[field] as number) : null;
    const to = limits[field];
    if (from === to) continue;
    changes.push({ field, from, to });
    const policy = APPLY_POLICY[field];
    if (policy === 'restart') needsRestart.push(field);
    if (policy === 'grow-live' && from !== null && to < from && ve.state === 'running') {
      refused.push({ field, reason: `${field} shrink from ${from} to ${to} is refused while VE ${ve.ctid} is running; stop it first` });
    }
    if (policy === 'grow-live' && from !== null && to > from && ve.state === 'running' && !node.diskGrowOnline) needsRestart.push(field);
    if (policy === 'fixed' && from !== null) {
      refused.push({ field, reason: `${field} is fixed when the VE's filesystem is made (at create or reinstall); keep ${from} with overrides.${field} = ${from}` });
    }
  }
  return { planId: newPlan.id, overrides, limits, changes, needsRestart, refused };
}
