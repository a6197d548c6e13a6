// Per-field drift between a VE's row and its node: what the panel owns, compared field by field
// (reconciler), stored on Ve.drift, and repaired one field at a time (drift-repair.ts).
import { z } from 'zod';
import { Prisma, type PrismaClient } from '@/server/db/client';
import { LIMIT_KEYS, type LimitKey } from '@/server/services/plans/limits';

/** Limits the node enforces: all of them (bandwidth with tc since traffic shaping; older agents do not report it, so it is not compared there). */
export const NODE_LIMIT_KEYS: LimitKey[] = [...LIMIT_KEYS];
/**
 * `state` is the power state: the reconciler adopts what the node shows (the panel must not say a
 * stopped VE runs) and keeps what the panel had as the drift's panel value until someone decides.
 */
export const DRIFT_FIELDS = ['state', 'hostname', 'ips', 'nameservers', 'onboot', 'template', ...NODE_LIMIT_KEYS] as const;
export type DriftField = (typeof DRIFT_FIELDS)[number];
export const DriftFieldSchema = z.enum(DRIFT_FIELDS);
/** Fields the node cannot be told to change in place: only "take the node's value" applies. */
export const TAKE_ONLY: readonly DriftField[] = ['template', 'diskinodes'];

/** A field's value on either side, in panel units. */
export const DriftValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);
export const DriftEntry = z.object({ panel: DriftValue, node: DriftValue, since: z.string() });
export type DriftEntry = z.infer<typeof DriftEntry>;
export type DriftMap = Partial<Record<DriftField, DriftEntry>>;

/** What one side says about a VE, in panel units (MiB, MB/s); ips bare and canonical. */
export interface VeSnapshot {
  hostname: string;
  ips: string[];
  /** undefined = this side does not say (an older agent): not compared. */
  nameservers?: string[];
  onboot: boolean;
  template: string;
  limits: Partial<Record<LimitKey, number>>;
}

// Order of addresses and DNS servers carries no meaning the panel keeps (create sends them pool by pool).
const sorted = (a: string[]) => [...a].sort();
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Fields where `node` disagrees with `panel`; a field one side does not state is not compared. */
export function compareVe(panel: VeSnapshot, node: VeSnapshot): Partial<Record<DriftField, { panel: DriftEntry['panel']; node: DriftEntry['node'] }>> {
  const out: Partial<Record<DriftField, { panel: DriftEntry['panel']; node: DriftEntry['node'] }>> = {};
  const put = (f: DriftField, p: DriftEntry['panel'], n: DriftEntry['node']) => { if (!same(p, n)) out[f] = { panel: p, node: n }; };
  put('hostname', panel.hostname, node.hostname);
  put('ips', sorted(panel.ips), sorted(node.ips));
  if (panel.nameservers && node.nameservers) put('nameservers', sorted(panel.nameservers), sorted(node.nameservers));
  put('onboot', panel.onboot, node.onboot);
  put('template', panel.template, node.template);
  for (const k of NODE_LIMIT_KEYS) {
    const p = panel.limits[k];
    const n = node.limits[k];
    if (p !== undefined && n !== undefined) put(k, p, n);
  }
  return out;
}

type Found = ReturnType<typeof compareVe>;

/**
 * The power-state entry of one pass. `adopting`: the node shows `node` where the panel had `panel`
 * (the row is about to take the node's state). Otherwise an open entry stays while the node differs
 * from the state the panel had, and goes once the node is back there (started again with vzctl).
 */
export function stateDrift(prev: DriftMap, node: string, adopting?: { panel: string }): Found['state'] {
  // The state the panel last chose itself: the first one adopted away from, kept across passes.
  const chosen = prev.state ? String(prev.state.panel) : adopting?.panel;
  return chosen !== undefined && chosen !== node ? { panel: chosen, node } : undefined;
}

/** Stored drift JSON -> typed map; entries that do not parse (older shapes) are dropped. */
export function parseDrift(json: unknown): DriftMap {
  const out: DriftMap = {};
  if (!json || typeof json !== 'object') return out;
  for (const [k, v] of Object.entries(json)) {
    const f = DriftFieldSchema.safeParse(k);
    const e = DriftEntry.safeParse(v);
    if (f.success && e.success) out[f.data] = e.data;
  }
  return out;
}

/**
 * The guard of every set-based write a reconciler pass makes to "Ve" rows aliased `v`: no task is
 * queued or running on the VE (such a task may be the very change the node has not confirmed yet),
 * and the SET clause that stamps `updatedAt` as Prisma's @updatedAt writes it (this process's clock,
 * UTC): a delta pass looks at rows written since its last pass.
 */
export const NO_TASK_IN_FLIGHT = Prisma.sql`NOT EXISTS (SELECT 1 FROM "Task" t WHERE t."veId" = v.id AND t.status IN ('queued', 'running'))`;
export const stampUpdatedAt = (now: Date) => Prisma.sql`"updatedAt" = (${now.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;

/**
 * Stores what one pass found for each VE (keeping `since` of fields still drifting) in one
 * statement, however many VEs (issue 15). A row is written only when its drift changed, and only
 * while no task is queued or running on the VE: such a task may be the very change the node has
 * not confirmed yet. Returns how many rows were written.
 */
export async function recordVeDrifts(prisma: PrismaClient, items: Array<{ ve: { id: string; drift: Prisma.JsonValue }; found: ReturnType<typeof compareVe> }>, now = new Date()): Promise<number> {
  const rows: Array<{ id: string; drift: DriftMap }> = [];
  for (const { ve, found } of items) {
    const prev = parseDrift(ve.drift);
    const next: DriftMap = {};
    for (const [f, d] of Object.entries(found) as [DriftField, { panel: DriftEntry['panel']; node: DriftEntry['node'] }][]) {
      next[f] = { ...d, since: prev[f]?.since ?? now.toISOString() };
    }
    const keyed = (m: DriftMap) => Object.entries(m).sort(([a], [b]) => a.localeCompare(b));
    if (!same(keyed(prev), keyed(next))) rows.push({ id: ve.id, drift: next });
  }
  if (!rows.length) return 0;
  return prisma.$executeRaw`
    UPDATE "Ve" v SET drift = x.drift, ${stampUpdatedAt(now)}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(id text, drift jsonb)
    WHERE v.id = x.id AND ${NO_TASK_IN_FLIGHT}`;
}

/** Removes `fields` from a VE's drift (the node confirmed the panel's value, or the panel took the node's). */
export async function clearDrift(db: Prisma.TransactionClient | PrismaClient, veId: string, fields: readonly string[]): Promise<void> {
  if (!fields.length) return;
  const row = await db.ve.findUnique({ where: { id: veId }, select: { drift: true } });
  if (!row) return;
  const d = parseDrift(row.drift) as Record<string, DriftEntry>;
  if (!fields.some((f) => f in d)) return;
  for (const f of fields) delete d[f];
  await db.ve.update({ where: { id: veId }, data: { drift: d as Prisma.InputJsonValue } });
}

/** How many VEs disagree with their node in at least one field, and the first few of them (dashboard). */
export async function driftSummary(prisma: PrismaClient, take = 10) {
  const where: Prisma.VeWhereInput = { NOT: { drift: { equals: {} } } };
  const [count, rows] = await Promise.all([
    prisma.ve.count({ where }),
    prisma.ve.findMany({ where, select: { id: true, ctid: true, hostname: true, drift: true }, orderBy: { ctid: 'asc' }, take }),
  ]);
  return { count, ves: rows.map((r) => ({ id: r.id, ctid: r.ctid, hostname: r.hostname, fields: Object.keys(parseDrift(r.drift)) })) };
}
