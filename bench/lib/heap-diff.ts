// What grew between two V8 heap snapshots (e.g. the daemon at N and at 2N VEs), by constructor:
//   npx tsx bench/lib/heap-diff.ts a.heapsnapshot b.heapsnapshot [--top 25] [--per N]
// Strings and numbers are grouped by kind (their name is their content).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs, round, table } from './stats';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: (string[] | string)[] } };
  nodes: number[];
  strings: string[];
}

/** "type:name" -> [count, self bytes]. */
export function aggregate(file: string): Map<string, [number, number]> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0] as string[];
  const [iType, iName, iSize, width] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size'), f.length];
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]];
    const byKind = type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number' || type === 'code' || type === 'bigint';
    const key = byKind ? `(${type})` : `${type}:${s.strings[s.nodes[i + iName]].slice(0, 60)}`;
    const e = out.get(key) ?? [0, 0];
    e[0]++;
    e[1] += s.nodes[i + iSize];
    out.set(key, e);
  }
  return out;
}

/** Growth from a to b per key, largest bytes first. */
export function heapDiff(a: string, b: string): { key: string; count: number; bytes: number }[] {
  const [x, y] = [aggregate(a), aggregate(b)];
  const keys = new Set([...x.keys(), ...y.keys()]);
  return [...keys].map((key) => {
    const [c0, b0] = x.get(key) ?? [0, 0];
    const [c1, b1] = y.get(key) ?? [0, 0];
    return { key, count: c1 - c0, bytes: b1 - b0 };
  }).filter((r) => r.count || r.bytes).sort((p, q) => Math.abs(q.bytes) - Math.abs(p.bytes));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = parseArgs(process.argv.slice(2));
  const [a, b] = process.argv.slice(2).filter((x) => x.endsWith('.heapsnapshot'));
  const per = Number(args.per ?? 1);
  const rows = heapDiff(a, b).slice(0, Number(args.top ?? 25));
  const total = heapDiff(a, b).reduce((s, r) => s + r.bytes, 0);
  console.log(table(['type:constructor', 'objects', 'bytes', `bytes / ${per}`], rows.map((r) => [r.key, r.count, r.bytes, round(r.bytes / per, 1)])));
  console.log(`total self size growth: ${total} bytes (${round(total / per, 1)} per unit)`);
}
