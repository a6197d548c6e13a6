// Audit log: one append-only row per mutating call (who, what, target, from where, outcome); admin search
// and a customer's view of their own VE's history.
import { z } from 'zod';
import type { ActorType, AuditOutcome, Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { parseOrBadInput } from '@/server/services/plans/limits';
import { ownerScope, scoped, VE_NOT_FOUND } from '@/server/services/ves/scope';

export interface AuditEntry {
  actorType: ActorType;
  actorId?: string | null;
  actorLabel?: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
}

// Keys whose values never reach the audit log, at any depth (passwords, hashes, tokens, TOTP codes, tickets).
const SECRET = /pass(word)?|secret|credential|private.?key|token|hash|ticket|otp|code|signature|authorization|cookie/i;
const MAX_STRING = 300;
const MAX_ITEMS = 50;

/**
 * Copy of `v` safe to store: secret-looking keys replaced by "[redacted]", long strings cut, long
 * arrays shortened, depth limited. The one boundary where request input becomes audit details.
 */
export function auditSafe(v: unknown, depth = 0): unknown {
  if (depth > 5) return '[…]';
  if (typeof v === 'string') return v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}… (${v.length} chars)` : v;
  if (Array.isArray(v)) return v.slice(0, MAX_ITEMS).map((x) => auditSafe(x, depth + 1));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, SECRET.test(k) && x != null ? '[redacted]' : auditSafe(x, depth + 1)]));
  }
  return v;
}

/** Appends one audit row; details pass through auditSafe first. */
export async function writeAudit(prisma: PrismaClient, e: AuditEntry): Promise<void> {
  await prisma.auditLog.create({
    data: {
      actorType: e.actorType,
      actorId: e.actorId ?? null,
      actorLabel: e.actorLabel?.slice(0, 200) ?? null,
      action: e.action.slice(0, 200),
      targetType: e.targetType ?? null,
      targetId: e.targetId?.slice(0, 200) ?? null,
      ip: e.ip?.slice(0, 64) ?? null,
      userAgent: e.userAgent?.slice(0, 300) || null,
      outcome: e.outcome,
      details: (auditSafe(e.details ?? {}) ?? {}) as Prisma.InputJsonValue,
    },
  });
}

export const ListAuditInput = z.object({
  actorType: z.enum(['user', 'apiKey', 'system']).optional(),
  actorId: z.string().max(64).optional(),
  actor: z.string().trim().max(200).optional().describe('e-mail or key name contains'),
  action: z.string().max(200).optional().describe('exact procedure path ("billing.suspend") or a prefix ending in "." ("billing.")'),
  targetType: z.string().max(50).optional(),
  targetId: z.string().max(200).optional(),
  veId: z.string().max(64).optional().describe('entries about this VE'),
  nodeId: z.string().max(64).optional().describe('entries about this node or a VE now on it'),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
});
export type ListAuditInput = z.input<typeof ListAuditInput>;
export type AuditFilter = z.output<typeof ListAuditInput>;

const select = { id: true, createdAt: true, actorType: true, actorId: true, actorLabel: true, action: true, targetType: true, targetId: true, ip: true, userAgent: true, outcome: true, details: true } as const;
export type AuditRowData = Prisma.AuditLogGetPayload<{ select: typeof select }>;
export const auditSelect = select;

/** The where clause of an admin search (the page and the CSV export share it). */
export async function auditWhere(prisma: PrismaClient, f: AuditFilter): Promise<Prisma.AuditLogWhereInput> {
  const and: Prisma.AuditLogWhereInput[] = [];
  if (f.veId) and.push({ targetType: 've', targetId: f.veId });
  if (f.nodeId) {
    const ves = await prisma.ve.findMany({ where: { nodeId: f.nodeId }, select: { id: true }, take: 5000 });
    and.push({ OR: [{ targetType: 'node', targetId: f.nodeId }, { targetType: 've', targetId: { in: ves.map((v) => v.id) } }] });
  }
  return {
    ...(f.actorType ? { actorType: f.actorType } : {}),
    ...(f.actorId ? { actorId: f.actorId } : {}),
    ...(f.actor ? { actorLabel: { contains: f.actor, mode: 'insensitive' } } : {}),
    ...(f.action ? (f.action.endsWith('.') ? { action: { startsWith: f.action } } : { action: f.action }) : {}),
    ...(f.targetType ? { targetType: f.targetType } : {}),
    ...(f.targetId ? { targetId: f.targetId } : {}),
    ...(f.outcome ? { outcome: f.outcome } : {}),
    ...(f.from || f.to ? { createdAt: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lte: f.to } : {}) } } : {}),
    ...(and.length ? { AND: and } : {}),
  };
}

/** Readable names of the VEs and nodes `rows` point at ("101 web1.example", "node-a"); a gone one has none. */
export async function targetLabels(prisma: PrismaClient, rows: Array<{ targetType: string | null; targetId: string | null }>): Promise<Map<string, string>> {
  const ids = (type: string) => [...new Set(rows.filter((r) => r.targetType === type && r.targetId).map((r) => r.targetId!))];
  const [ves, nodes] = await Promise.all([
    prisma.ve.findMany({ where: { id: { in: ids('ve') } }, select: { id: true, ctid: true, hostname: true, node: { select: { name: true } } } }),
    prisma.node.findMany({ where: { id: { in: ids('node') } }, select: { id: true, name: true } }),
  ]);
  const m = new Map<string, string>();
  for (const v of ves) m.set(`ve:${v.id}`, `${v.ctid} ${v.hostname} on ${v.node.name}`);
  for (const n of nodes) m.set(`node:${n.id}`, n.name);
  return m;
}

/** Admin search over the whole log, newest first, each row with a readable target label. */
export async function listAudit(prisma: PrismaClient, raw: ListAuditInput) {
  const f = parseOrBadInput(ListAuditInput, raw);
  const where = await auditWhere(prisma, f);
  const [total, rows] = await Promise.all([
    prisma.auditLog.count({ where }),
    prisma.auditLog.findMany({ where, select, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: (f.page - 1) * f.pageSize, take: f.pageSize }),
  ]);
  const labels = await targetLabels(prisma, rows);
  const items = rows.map((r) => ({ ...r, targetLabel: labels.get(`${r.targetType}:${r.targetId}`) ?? null }));
  return { total, page: f.page, pageSize: f.pageSize, items };
}

/**
 * History of one VE as its owner sees it: only for a VE inside ownerScope (else NOT_FOUND, same
 * message as a missing one). Other people's identities are not shown: an entry by someone else
 * reads "administrator" or "billing".
 */
export async function veHistoryForOwner(prisma: PrismaClient, user: { id: string }, veId: string, page = 1, pageSize = 50) {
  const ve = await prisma.ve.findFirst({ where: scoped({ id: veId }, ownerScope(user)), select: { id: true } });
  if (!ve) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  const where: Prisma.AuditLogWhereInput = { targetType: 've', targetId: ve.id };
  const [total, rows] = await Promise.all([
    prisma.auditLog.count({ where }),
    prisma.auditLog.findMany({ where, select, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: (page - 1) * pageSize, take: pageSize }),
  ]);
  const items = rows.map((r) => ({
    id: r.id,
    createdAt: r.createdAt,
    action: r.action,
    outcome: r.outcome,
    by: r.actorType === 'user' && r.actorId === user.id ? 'you' : r.actorType === 'apiKey' ? 'billing' : r.actorType === 'system' ? 'system' : 'administrator',
    ip: r.actorId === user.id ? r.ip : null,
  }));
  return { total, page, pageSize, items };
}
