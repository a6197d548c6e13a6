'use client';
// A VE's beancounters like /proc/user_beancounters: held, maxheld, barrier, limit, failcnt.
// failcnt values that grew since this browser last showed the table are highlighted (remembered per VE).
import { useEffect, useState } from 'react';
import { cn } from '@/app/_lib/cn';
import { Card, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { ErrorAlert } from '@/app/_components/Alert';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

interface Row { resource: string; held: number; maxheld: number | null; barrier: number | null; limit: number | null; failcnt: number | null }
interface Data { running: boolean; at: string; rows: Row[] }

// OpenVZ prints unlimited as LONG_MAX; "unlimited" reads better and means the same.
const n = (v: number | null) => (v === null ? '—' : v.toLocaleString('en-US'));
const lim = (v: number | null) => (v === null ? 'unlimited' : v.toLocaleString('en-US'));
const storageKey = (veId: string) => `vzpanel.ubc.${veId}`;

function readSeen(veId: string): Record<string, number> {
  try { return JSON.parse(localStorage.getItem(storageKey(veId)) ?? '{}') as Record<string, number>; } catch { return {}; }
}

export function VeBeancounters({ veId, data, error, loading, onRefresh }: { veId: string; data?: Data; error: unknown; loading: boolean; onRefresh: () => void }) {
  // The failcnts as of the previous view: taken once per page view, then the new ones are stored.
  const [seen, setSeen] = useState<Record<string, number> | null>(null);
  useEffect(() => {
    if (!data) return;
    setSeen((s) => s ?? readSeen(veId));
    localStorage.setItem(storageKey(veId), JSON.stringify(Object.fromEntries(data.rows.filter((r) => r.failcnt !== null).map((r) => [r.resource, r.failcnt]))));
  }, [data, veId]);
  const grew = (r: Row) => r.failcnt !== null && seen !== null && r.failcnt > (seen[r.resource] ?? 0);
  const increases = data?.rows.filter(grew) ?? [];
  return (
    <Card data-testid="ve-beancounters">
      <CardHeader
        title="Beancounters"
        subtitle={<>Like /proc/user_beancounters: memory in 4 KiB pages, kmemsize in bytes, disk in 1 KiB blocks.{data && !data.running && ' The VE is stopped: only limits and disk are meaningful.'}</>}
        actions={<Button variant="secondary" size="sm" onClick={onRefresh} loading={loading} data-testid="ubc-refresh">Refresh</Button>}
      />
      {increases.length > 0 && (
        <p className="border-b border-amber-200 bg-amber-50 px-5 py-2 text-sm text-amber-900" data-testid="ubc-increases">
          failcnt grew since your last view: {increases.map((r) => `${r.resource} +${r.failcnt! - (seen![r.resource] ?? 0)}`).join(', ')}
        </p>
      )}
      <ErrorAlert error={error} className="m-4" />
      <Table>
        <THead><tr><Th>Resource</Th><Th className="text-right">Held</Th><Th className="text-right">Maxheld</Th><Th className="text-right">Barrier</Th><Th className="text-right">Limit</Th><Th className="text-right">Failcnt</Th></tr></THead>
        <TBody>
          {!data && !error && <EmptyRow colSpan={6}>Asking the node…</EmptyRow>}
          {data && !data.rows.length && <EmptyRow colSpan={6}>The node reported no counters for this VE.</EmptyRow>}
          {data?.rows.map((r) => (
            <tr key={r.resource} data-testid={`ubc-${r.resource}`} data-grew={grew(r) ? 'true' : undefined} className={cn(grew(r) && 'bg-amber-50')}>
              <Td className="font-mono">{r.resource}</Td>
              <Td className="text-right tabular-nums">{n(r.held)}</Td>
              <Td className="text-right tabular-nums">{n(r.maxheld)}</Td>
              <Td className="text-right tabular-nums">{lim(r.barrier)}</Td>
              <Td className="text-right tabular-nums">{lim(r.limit)}</Td>
              <Td className={cn('text-right tabular-nums', grew(r) && 'font-semibold text-amber-800', (r.failcnt ?? 0) > 0 && !grew(r) && 'text-red-700')} data-testid={`ubc-${r.resource}-failcnt`}>{n(r.failcnt)}</Td>
            </tr>
          ))}
        </TBody>
      </Table>
    </Card>
  );
}
