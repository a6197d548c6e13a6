// Pure text formatting for vzctl/vzlist/vzubc output.
export interface UbcRowLike { resource: string; held: number; maxheld: number | null; barrier: number | null; limit: number | null; failcnt: number | null }

const MAXLONG = '9223372036854775807';
const cell = (v: number | null) => (v === null ? MAXLONG : String(v));

/** /proc/user_beancounters-style table (unlimited shows as LONG_MAX, like OpenVZ). */
export function formatUbc(ctid: number, rows: UbcRowLike[]): string {
  const head = ['uid', 'resource', 'held', 'maxheld', 'barrier', 'limit', 'failcnt'];
  const body = rows.map((r, i) => [i === 0 ? `${ctid}:` : '', r.resource, String(r.held), r.maxheld === null ? '-' : String(r.maxheld), cell(r.barrier), cell(r.limit), r.failcnt === null ? '-' : String(r.failcnt)]);
  return table([head, ...body], [0, 1]);
}

/** Columns padded to their widest cell; `left` columns are left-aligned, the rest right-aligned. */
export function table(rows: string[][], left: number[] = []): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((v, c) => (left.includes(c) ? v.padEnd(w[c]) : v.padStart(w[c]))).join(' ').trimEnd()).join('\n') + '\n';
}

/** vzctl snapshot-list: `{UUID} DATE NAME`, oldest first (DATE in UTC, like the rest of the node's logs). */
export function formatSnapshots(snaps: { id: string; createdAt: string; name: string }[], header: boolean): string {
  const rows = snaps.map((s) => [`{${s.id}}`, s.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ''), s.name]);
  if (!rows.length) return header ? 'UUID DATE NAME\n' : '';
  return table(header ? [['UUID', 'DATE', 'NAME'], ...rows] : rows, [0, 1, 2]);
}
