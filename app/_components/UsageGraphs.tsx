'use client';
import { useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '@/app/_lib/trpc';
import { formatDate } from '@/app/_lib/format';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { ErrorAlert } from '@/app/_components/Alert';
import { UsageChart } from '@/app/_components/UsageChart';
import { cn } from '@/app/_lib/cn';

type Series = RouterOutputs['usage']['ve'];
type Range = Series['range'];
const RANGES: { value: Range; label: string }[] = [{ value: '1h', label: '1 h' }, { value: '24h', label: '24 h' }, { value: '7d', label: '7 d' }, { value: '30d', label: '30 d' }];
const RES = { '10s': 'every 10 s', '5m': '5-minute averages', '1h': 'hourly averages' } as const;

/** Where the graphs come from: a VE (admin), one's own VE (portal) or a node (admin). */
export type UsageSource = { kind: 've' | 'myVe'; id: string } | { kind: 'node'; name: string };

function Charts({ s }: { s: Series }) {
  const charts = useMemo(() => [
    { title: 'CPU', unit: 'pct' as const, lines: [{ label: 'CPU (% of one core)', values: s.cpuPct, color: '#2563eb' }] },
    { title: 'Memory', unit: 'bytes' as const, lines: [{ label: 'average', values: s.memAvg, color: '#059669' }, { label: 'peak', values: s.memMax, color: '#d97706' }] },
    { title: 'Disk', unit: 'bytes' as const, lines: [{ label: 'used', values: s.diskUsed, color: '#7c3aed' }] },
    { title: 'Network', unit: 'rate' as const, lines: [{ label: 'in', values: s.netIn, color: '#0891b2' }, { label: 'out', values: s.netOut, color: '#db2777' }] },
    { title: 'Disk I/O', unit: 'rate' as const, lines: [{ label: 'read', values: s.rd, color: '#65a30d' }, { label: 'write', values: s.wr, color: '#dc2626' }] },
  ], [s]);
  if (!s.ts.length) return <p className="text-sm text-slate-500" data-testid="usage-graphs-empty">No samples in this range yet (the node reports every 10 s).</p>;
  return (
    <div className="grid gap-6 md:grid-cols-2">
      {charts.map((c) => <UsageChart key={c.title} title={c.title} unit={c.unit} ts={s.ts} lines={c.lines} testId={`usage-chart-${c.title.toLowerCase().replace(/\W+/g, '-')}`} />)}
    </div>
  );
}

/** Graphs of CPU, memory, disk, network and I/O over 1 h to 30 d, and (for VEs) the limit-events timeline. */
export function UsageGraphs({ source }: { source: UsageSource }) {
  const trpc = useTRPC();
  const [range, setRange] = useState<Range>('24h');
  const opts = source.kind === 'node'
    ? trpc.usage.node.queryOptions({ name: source.name, range })
    : source.kind === 've' ? trpc.usage.ve.queryOptions({ id: source.id, range }) : trpc.usage.myVe.queryOptions({ id: source.id, range });
  const series = useQuery({ ...opts, refetchInterval: range === '1h' ? 10_000 : 60_000 } as typeof opts);
  return (
    <Card data-testid="usage-graphs">
      <CardHeader
        title="Usage history"
        subtitle={series.data ? RES[series.data.resolution] : 'Loading…'}
        actions={RANGES.map((r) => (
          <button key={r.value} type="button" data-testid={`usage-range-${r.value}`} onClick={() => setRange(r.value)}
            className={cn('rounded px-2 py-1 text-xs', r.value === range ? 'bg-slate-900 text-white' : 'bg-slate-100 text-slate-700 hover:bg-slate-200')}>{r.label}</button>
        ))}
      />
      <CardBody>
        {series.error ? <ErrorAlert error={series.error} /> : series.data ? <Charts s={series.data} /> : <p className="text-sm text-slate-500">Loading…</p>}
      </CardBody>
      {source.kind !== 'node' && <Timeline source={source} />}
    </Card>
  );
}

function Timeline({ source }: { source: { kind: 've' | 'myVe'; id: string } }) {
  const trpc = useTRPC();
  const opts = source.kind === 've' ? trpc.usage.veEvents.queryOptions({ id: source.id }) : trpc.usage.myVeEvents.queryOptions({ id: source.id });
  const events = useQuery({ ...opts, refetchInterval: 60_000 } as typeof opts);
  return (
    <div className="border-t border-slate-200 px-5 py-4" data-testid="usage-timeline">
      <h3 className="mb-2 text-sm font-medium text-slate-700">Limits hit (last 30 days)</h3>
      {!events.data?.length ? <p className="text-sm text-slate-500">No limits were hit.</p> : (
        <ul className="space-y-1 text-sm">
          {events.data.map((e) => (
            <li key={`${e.kind}-${e.at}`} data-testid={`usage-event-${e.kind}`}><span className="mr-2 font-mono text-xs text-slate-500">{formatDate(e.at)}</span>{e.text}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
