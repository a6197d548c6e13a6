'use client';
// Dashboard rows beside the node cards: VE counts by state, running and recent tasks, open drift.
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatAgo } from '@/app/_lib/format';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { ErrorAlert } from '@/app/_components/Alert';
import { ProgressBar, taskTone } from '@/app/_components/TaskProgress';

export function DashboardPanels() {
  const trpc = useTRPC();
  const stats = useQuery({ ...trpc.ves.stats.queryOptions(), refetchInterval: 10_000 });
  const active = useQuery({ ...trpc.tasks.list.queryOptions({ status: ['queued', 'running'], pageSize: 10 }), refetchInterval: 2_000 });
  const recent = useQuery({ ...trpc.tasks.list.queryOptions({ pageSize: 8 }), refetchInterval: 5_000 });
  const drift = useQuery({ ...trpc.reconcile.list.queryOptions({ pageSize: 5 }), refetchInterval: 30_000 });
  const shown = [...(active.data?.items ?? []), ...(recent.data?.items ?? [])].filter((t, i, a) => a.findIndex((x) => x.id === t.id) === i).slice(0, 10);
  return (
    <div className="mb-8 grid gap-6 lg:grid-cols-3">
      <Card data-testid="dash-ve-states">
        <CardHeader title="VEs" subtitle={stats.data ? `${stats.data.total} in total` : undefined} actions={<Link href="/admin/ves" className="text-sm text-indigo-600 hover:underline">All VEs</Link>} />
        <CardBody>
          <ErrorAlert error={stats.error} />
          <dl className="grid grid-cols-2 gap-2 text-sm">
            {stats.data && Object.entries(stats.data.byState).filter(([s, n]) => n > 0 || ['running', 'stopped'].includes(s)).map(([s, n]) => (
              <div key={s} className="flex justify-between rounded bg-slate-50 px-2 py-1"><dt className="text-slate-600">{s}</dt><dd className="font-semibold tabular-nums" data-testid={`dash-ves-${s}`}>{n}</dd></div>
            ))}
          </dl>
        </CardBody>
      </Card>
      <Card className="lg:col-span-2" data-testid="dash-tasks">
        <CardHeader title="Tasks" subtitle={active.data ? `${active.data.total} running or queued` : undefined} actions={<Link href="/admin/tasks" className="text-sm text-indigo-600 hover:underline">All tasks</Link>} />
        <CardBody className="space-y-2">
          {shown.length === 0 && <p className="text-sm text-slate-500">No tasks yet.</p>}
          {shown.map((t) => (
            <div key={t.id} className="grid grid-cols-[9rem_4rem_1fr_6rem_5rem] items-center gap-3 text-sm">
              <span className="truncate font-mono text-xs">{t.type}</span>
              <span>{t.veId ? <Link href={`/admin/ves/${t.veId}`} className="text-indigo-600 hover:underline">{t.ctid}</Link> : t.ctid ?? '—'}</span>
              <ProgressBar value={t.progress} status={t.status} />
              <Badge tone={taskTone(t.status)}>{t.status}</Badge>
              <span className="text-xs text-slate-500">{formatAgo(t.createdAt)}</span>
            </div>
          ))}
        </CardBody>
      </Card>
      {stats.data && stats.data.drift.count > 0 && (
        <Card className="lg:col-span-3 border-amber-200" data-testid="dash-field-drift">
          <CardHeader title={`Field drift: ${stats.data.drift.count} VE${stats.data.drift.count === 1 ? '' : 's'}`} subtitle="The node says something else than the panel; open the VE to take the node's value or push the panel's." />
          <CardBody className="space-y-1 text-sm">
            {stats.data.drift.ves.map((v) => (
              <div key={v.id}><Link href={`/admin/ves/${v.id}`} className="text-indigo-600 hover:underline">VE {v.ctid}</Link> {v.hostname} · {v.fields.join(', ')}</div>
            ))}
          </CardBody>
        </Card>
      )}
      {drift.data && drift.data.total > 0 && (
        <Card className="lg:col-span-3 border-amber-200" data-testid="dash-drift">
          <CardHeader title={`Drift: ${drift.data.total} open`} subtitle="Differences between nodes and the panel; never fixed silently." />
          <CardBody className="space-y-1 text-sm">
            {drift.data.items.map((i) => <div key={i.id}><Badge tone="amber">{i.kind}</Badge> VE {i.ctid} on {i.nodeName} · {formatAgo(i.detectedAt)}</div>)}
          </CardBody>
        </Card>
      )}
    </div>
  );
}
