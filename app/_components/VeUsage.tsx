'use client';
import { formatBytes, percent } from '@/app/_lib/format';
import { Meter } from '@/app/_components/Meter';
import type { RouterOutputs } from '@/app/_lib/trpc';

type Usage = RouterOutputs['portal']['usage'];

/** Live memory/disk/process figures against the VE's limits (MiB in `limits`). */
export function VeUsage({ usage, limits, loading }: { usage: Usage | undefined; limits: Record<string, number>; loading?: boolean }) {
  if (loading) return <p className="text-sm text-slate-500">Reading usage…</p>;
  if (!usage) return <p className="text-sm text-slate-500" data-testid="usage-unavailable">Usage is not available right now.</p>;
  const ram = (limits.ram ?? 0) * 2 ** 20;
  const disk = usage.diskLimitBytes ?? (limits.diskspace ?? 0) * 2 ** 20;
  const rows = [
    { label: 'Memory', used: usage.memBytes, total: ram, text: `${formatBytes(usage.memBytes)} / ${formatBytes(ram)}` },
    { label: 'Disk', used: usage.diskBytes, total: disk, text: `${formatBytes(usage.diskBytes)} / ${formatBytes(disk)}` },
    { label: 'Processes', used: usage.numproc, total: limits.numproc ?? 0, text: `${usage.numproc} / ${limits.numproc ?? '—'}` },
  ];
  return (
    <div className="space-y-3" data-testid="ve-usage">
      {rows.map((r) => (
        <div key={r.label}>
          <div className="mb-1 flex justify-between text-xs text-slate-600"><span>{r.label}</span><span className="tabular-nums">{r.text}</span></div>
          <Meter value={percent(r.used, r.total)} label={r.label} />
        </div>
      ))}
    </div>
  );
}
