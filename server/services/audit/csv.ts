// CSV export of the audit log: RFC 4180 quoting, spreadsheet formula injection defused, streamed in batches.
import type { PrismaClient } from '@/server/db/client';
import { parseOrBadInput } from '@/server/services/plans/limits';
import { auditSelect, auditWhere, ListAuditInput, targetLabels, type AuditRowData } from './index';

const BATCH = 500;
/** Hard cap on one export, so a filterless export of a huge log cannot run forever. */
export const MAX_EXPORT_ROWS = 200_000;

export const CSV_COLUMNS = ['time', 'outcome', 'actor_type', 'actor', 'action', 'target_type', 'target_id', 'target', 'ip', 'user_agent', 'details'] as const;

/**
 * One CSV field: always quoted, inner quotes doubled. A value a spreadsheet would run as a
 * formula (starting with = + - @ tab or CR) gets a leading apostrophe, so it stays text.
 */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replaceAll('"', '""')}"`;
}

export const csvLine = (cells: unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

function rowCells(r: AuditRowData, label: string | null): unknown[] {
  return [r.createdAt, r.outcome, r.actorType, r.actorLabel ?? r.actorId, r.action, r.targetType, r.targetId, label, r.ip, r.userAgent, r.details];
}

/**
 * Yields the CSV of every entry matching the admin filters (query-string values), header first,
 * newest first, fetched BATCH rows at a time by keyset so memory stays flat.
 */
export async function* auditCsv(prisma: PrismaClient, raw: Record<string, unknown>): AsyncGenerator<string> {
  const f = parseOrBadInput(ListAuditInput, { ...raw, page: undefined, pageSize: undefined });
  const where = await auditWhere(prisma, f);
  yield csvLine([...CSV_COLUMNS]);
  let cursor: { id: string } | undefined;
  for (let sent = 0; sent < MAX_EXPORT_ROWS; ) {
    const rows = await prisma.auditLog.findMany({
      where, select: auditSelect, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: BATCH, ...(cursor ? { cursor, skip: 1 } : {}),
    });
    if (!rows.length) return;
    const labels = await targetLabels(prisma, rows);
    yield rows.map((r) => csvLine(rowCells(r, labels.get(`${r.targetType}:${r.targetId}`) ?? null))).join('');
    sent += rows.length;
    cursor = { id: rows[rows.length - 1].id };
    if (rows.length < BATCH) return;
  }
}
