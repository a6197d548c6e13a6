// Resource limits of a VE (OpenVZ names and units), their valid ranges, and plan+override merging.
import { z } from 'zod';
import { AppError } from '@/server/errors';

const MiB_16T = 16 * 1024 * 1024;
const int = (min: number, max: number, description: string) => z.number().int().min(min).max(max).describe(description);

/** Per-field schema: the single source of valid ranges for plans, overrides and the API. */
export const LimitFields = {
  ram: int(64, MiB_16T, 'RAM in MiB'),
  swap: int(0, MiB_16T, 'Swap in MiB (on top of RAM)'),
  diskspace: int(100, 4 * MiB_16T, 'Disk size in MiB'),
  diskinodes: int(1000, 2_000_000_000, 'Inode limit'),
  cpuunits: int(8, 500_000, 'CPU weight (vzctl --cpuunits)'),
  cpulimit: int(0, 102_400, 'CPU limit in percent of one CPU; 0 = unlimited'),
  cpus: int(1, 1024, 'Number of CPUs visible to the VE'),
  numproc: int(16, 4_194_304, 'Maximum number of processes'),
  ioprio: int(0, 7, 'I/O priority 0..7 (vzctl --ioprio)'),
  iolimit: int(0, 100_000, 'Disk throughput limit in MB/s; 0 = unlimited'),
  iopslimit: int(0, 10_000_000, 'Disk operations per second (reads and writes each); 0 = unlimited'),
  bandwidth: int(0, 100_000, 'Network port speed in Mbit/s; 0 = unlimited'),
} as const;

export type LimitKey = keyof typeof LimitFields;
export const LIMIT_KEYS = Object.keys(LimitFields) as LimitKey[];

export const Limits = z.object(LimitFields);
export type Limits = z.infer<typeof Limits>;

/** Overrides: any subset of limit fields; unknown keys are refused (a typo must not pass silently). */
export const LimitOverrides = Limits.partial().strict();
export type LimitOverrides = z.infer<typeof LimitOverrides>;

/** An explicit override change: a number sets the field, null removes the override (back to the plan). */
export const OverrideChanges = z.object(Object.fromEntries(LIMIT_KEYS.map((k) => [k, LimitFields[k].nullable().optional()]))).strict();
export type OverrideChanges = Partial<Record<LimitKey, number | null>>;

/** Raises BAD_INPUT naming the first wrong field, e.g. "cpuunits: Too big: expected number to be <=500000". */
export function parseOrBadInput<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = prefix + issue.path.map(String).join('.');
  throw new AppError('BAD_INPUT', `${field || 'input'}: ${issue.message}`, { field });
}

/** Checks that belong to the whole set, not one field. */
export function checkLimitsConsistent(l: Limits): void {
  if (l.cpulimit > l.cpus * 100) {
    throw new AppError('BAD_INPUT', `cpulimit: ${l.cpulimit}% is more than ${l.cpus} CPU(s) can give (max ${l.cpus * 100}%)`, { field: 'cpulimit' });
  }
}

/** Picks the limit fields out of a plan row (or anything shaped like one). */
export function planLimits(plan: Limits): Limits {
  return Object.fromEntries(LIMIT_KEYS.map((k) => [k, plan[k]])) as Limits;
}

/** Stored overrides JSON -> typed overrides; foreign keys in old rows are dropped, not trusted. */
export function readOverrides(json: unknown): LimitOverrides {
  if (!json || typeof json !== 'object') return {};
  const out: LimitOverrides = {};
  for (const k of LIMIT_KEYS) {
    const v = (json as Record<string, unknown>)[k];
    if (typeof v === 'number' && Number.isInteger(v)) out[k] = v;
  }
  return out;
}

/** The limits a VE runs with: its plan's values, replaced field by field by its overrides. */
export function effectiveLimits(plan: Limits, overrides: LimitOverrides = {}): Limits {
  const merged = { ...planLimits(plan), ...parseOrBadInput(LimitOverrides, overrides, 'overrides.') };
  checkLimitsConsistent(merged);
  return merged;
}
