// Which VEs a bulk selector names, and the exact preview an admin confirms before a job runs.
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { parseOrBadInput } from '@/server/services/plans/limits';
import { BulkSelector, MAX_BULK_VES, type BulkAction } from './schemas';

export function selectorWhere(s: BulkSelector): Prisma.VeWhereInput {
  const and: Prisma.VeWhereInput[] = [];
  if (s.nodeIds) and.push({ nodeId: { in: s.nodeIds } });
  if (s.nodeGroupIds) and.push({ node: { nodeGroupId: { in: s.nodeGroupIds } } });
  if (s.planIds) and.push({ planId: { in: s.planIds } });
  if (s.templateIds) and.push({ templateId: { in: s.templateIds } });
  if (s.os) and.push({ template: { os: { in: s.os } } });
  if (s.ownerIds) and.push({ ownerId: { in: s.ownerIds } });
  if (s.states) and.push({ state: { in: s.states } });
  if (s.tags) and.push({ tags: { hasSome: s.tags } });
  if (s.ctids) and.push({ ctid: { in: s.ctids } });
  if (s.veIds) and.push({ id: { in: s.veIds } });
  return { AND: and };
}

const select = {
  id: true, ctid: true, hostname: true, state: true, nodeId: true,
  node: { select: { name: true } }, template: { select: { name: true, os: true } }, owner: { select: { email: true } },
} as const satisfies Prisma.VeSelect;
export type SelectedVe = Prisma.VeGetPayload<{ select: typeof select }>;

// Package managers the package update knows how to drive, by template OS.
const APT_OS = new Set(['debian', 'ubuntu', 'devuan']);

/** Why `action` will not run on this VE at all (shown in the preview, item ends "skipped"); undefined = it runs. */
export function skipReason(ve: Pick<SelectedVe, 'template'>, action?: BulkAction): string | undefined {
  if (action?.type !== 'packageUpdate') return undefined;
  const os = ve.template.os.toLowerCase();
  if (APT_OS.has(os)) return undefined;
  return os === 'busybox' ? 'busybox template: no package manager' : `no package manager support for OS ${ve.template.os}`;
}

export const isAptOs = (os: string) => APT_OS.has(os.toLowerCase());

/** Every VE the selector names, ordered by ctid; BAD_INPUT past MAX_BULK_VES. */
export async function resolveSelection(prisma: PrismaClient, raw: unknown): Promise<SelectedVe[]> {
  const s = parseOrBadInput(BulkSelector, raw, 'selector.');
  const where = selectorWhere(s);
  const total = await prisma.ve.count({ where });
  if (total > MAX_BULK_VES) throw new AppError('BAD_INPUT', `the selection names ${total} VEs; one job takes at most ${MAX_BULK_VES}`, { field: 'selector' });
  return prisma.ve.findMany({ where, select, orderBy: { ctid: 'asc' } });
}

/** The exact set a job would act on now: total, per node, and the rows (first `limit`). */
export async function previewBulk(prisma: PrismaClient, input: { selector: unknown; action?: BulkAction; limit?: number }) {
  const ves = await resolveSelection(prisma, input.selector);
  const byNode = new Map<string, { nodeId: string; node: string; count: number }>();
  for (const v of ves) {
    const n = byNode.get(v.nodeId) ?? { nodeId: v.nodeId, node: v.node.name, count: 0 };
    n.count++;
    byNode.set(v.nodeId, n);
  }
  const rows = ves.map((v) => ({
    id: v.id, ctid: v.ctid, hostname: v.hostname, state: v.state, nodeId: v.nodeId, node: v.node.name,
    template: v.template.name, os: v.template.os, owner: v.owner?.email ?? null, skip: skipReason(v, input.action) ?? null,
  }));
  const limit = input.limit ?? 1000;
  return {
    total: ves.length,
    willSkip: rows.filter((r) => r.skip).length,
    byNode: [...byNode.values()],
    ctids: ves.map((v) => v.ctid),
    items: rows.slice(0, limit),
    truncated: rows.length > limit,
  };
}
