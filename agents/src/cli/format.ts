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

export interface ImportPlanLike {
  ctid: number; layout: string; privatePath: string; usedBytes: number; usedInodes: number;
  carried: { param: string; value: string; to: string; note?: string }[];
  notCarried: { param: string; value: string; reason: string }[];
  problems: string[];
}

/** The OpenVZ import dry run: what each parameter becomes, what is not carried and why, what blocks it. */
export function formatImportPlan(p: ImportPlanLike): string {
  const out = [`Import of CT ${p.ctid} from ${p.privatePath} (${p.layout}, ${Math.round(p.usedBytes / 2 ** 20)} MiB, ${p.usedInodes} inodes)`, '', 'Carried over:'];
  out.push(table([['parameter', 'value', 'becomes', 'note'], ...p.carried.map((c) => [c.param, c.value, c.to, c.note ?? ''])], [0, 1, 2, 3]).trimEnd());
  out.push('', p.notCarried.length ? 'Not carried over:' : 'Every parameter is carried over.');
  if (p.notCarried.length) out.push(table([['parameter', 'value', 'why'], ...p.notCarried.map((c) => [c.param, c.value, c.reason])], [0, 1, 2]).trimEnd());
  out.push('', p.problems.length ? `Cannot import as it stands:\n${p.problems.map((x) => `  - ${x}`).join('\n')}` : 'Ready to import.');
  return `${out.join('\n')}\n`;
}

/** vzctl snapshot-list: `{UUID} DATE NAME`, oldest first (DATE in UTC, like the rest of the node's logs). */
export function formatSnapshots(snaps: { id: string; createdAt: string; name: string }[], header: boolean): string {
  const rows = snaps.map((s) => [`{${s.id}}`, s.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ''), s.name]);
  if (!rows.length) return header ? 'UUID DATE NAME\n' : '';
  return table(header ? [['UUID', 'DATE', 'NAME'], ...rows] : rows, [0, 1, 2]);
}
