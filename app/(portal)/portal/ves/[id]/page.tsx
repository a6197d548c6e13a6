'use client';
// One of the customer's own VEs: status, usage, power, reinstall, root password, hostname, console, tasks.
// Another customer's VE id answers "not found", exactly like a missing one (the server decides).
import Link from 'next/link';
import { Fragment, use, useCallback, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useTRPCClient } from '@/app/_lib/trpc';
import { errorCode } from '@/app/_lib/errors';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { VeStateBadge } from '@/app/_components/VeStateBadge';
import { TaskProgress } from '@/app/_components/TaskProgress';
import { HostnameForm, PasswordForm, PowerButtons, ReinstallForm, VeTasks } from '@/app/_components/VeForms';
import { VeUsage } from '@/app/_components/VeUsage';
import { VeHistory } from '@/app/_components/VeHistory';
import { VeBeancounters } from '@/app/_components/VeBeancounters';
import { VeSshKeys } from '@/app/_components/VeSshKeys';
import { UsageGraphs } from '@/app/_components/UsageGraphs';
import { VeQuota } from '@/app/_components/VeQuota';
import { VeBackups } from '@/app/_components/VeBackups';

const POWER = ['start', 'stop', 'restart'] as const;

export default function PortalVePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const ve = useQuery({ ...trpc.portal.ve.queryOptions({ id }), refetchInterval: 5_000 });
  const usage = useQuery({ ...trpc.portal.usage.queryOptions({ id }), refetchInterval: 5_000, enabled: ve.isSuccess });
  const ubc = useQuery({ ...trpc.portal.beancounters.queryOptions({ id }), enabled: ve.isSuccess, retry: false });
  const [task, setTask] = useState<string | null>(null);
  const refresh = useCallback(() => {
    void qc.invalidateQueries({ queryKey: trpc.portal.ve.queryKey({ id }) });
    void qc.invalidateQueries({ queryKey: trpc.portal.tasks.queryKey() });
  }, [qc, trpc, id]);
  const onTask = (taskId: string) => { setTask(taskId); refresh(); };

  if (ve.error) {
    return errorCode(ve.error) === 'NOT_FOUND'
      ? <Alert tone="error" title="Not found" data-testid="ve-not-found">This server was not found. <Link href="/portal" className="underline">Your servers</Link></Alert>
      : <ErrorAlert error={ve.error} />;
  }
  if (!ve.data) return <p className="text-slate-500">Loading…</p>;
  const v = ve.data;
  const paused = v.maintenance || !v.nodeOnline;
  return (
    <>
      <PageHeader
        title={<span className="flex items-center gap-3"><span data-testid="ve-hostname">{v.hostname}</span><VeStateBadge state={v.state} /></span>}
        description={<span className="font-mono">{v.ipAddresses.join(', ')}</span>}
        actions={
          <div className="flex items-start gap-3">
            <Link href={`/portal/ves/${v.id}/console`}><Button variant="secondary" size="sm" disabled={!v.consoleOpen || paused} data-testid="open-console">Console</Button></Link>
            <PowerButtons state={v.state} actions={POWER} disabled={paused} onTask={onTask} run={(action) => client.portal.power.mutate({ id, action: action as (typeof POWER)[number] })} />
          </div>
        }
      />
      {v.maintenance && <Alert tone="warning" title="Maintenance" className="mb-6" data-testid="maintenance">The server&apos;s host is in maintenance; actions are paused until it ends.</Alert>}
      {!v.nodeOnline && <Alert tone="warning" title="Host offline" className="mb-6">The server&apos;s host cannot be reached right now.</Alert>}
      {v.suspendedAt && <Alert tone="warning" title="Suspended" className="mb-6">{v.suspendReason ?? 'This server is suspended.'}</Alert>}
      {task && <div className="mb-6"><TaskProgress taskId={task} onDone={refresh} /></div>}
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader title="Overview" />
          <CardBody>
            <dl className="grid grid-cols-[8rem_1fr] gap-y-2 text-sm" data-testid="ve-overview">
              <dt className="text-slate-500">Plan</dt><dd>{v.plan ?? '—'}</dd>
              <dt className="text-slate-500">OS</dt><dd>{v.template}</dd>
              <dt className="text-slate-500">RAM</dt><dd data-testid="ve-ram">{v.limits.ram} MiB</dd>
              <dt className="text-slate-500">Disk</dt><dd>{v.limits.diskspace} MiB</dd>
              <dt className="text-slate-500">CPUs</dt><dd>{v.limits.cpus}</dd>
              {v.addresses.map((a) => (<Fragment key={a.address}><dt className="text-slate-500">Address</dt><dd className="font-mono">{a.address}/{a.prefix}{a.gateway ? ` via ${a.gateway}` : ''}</dd></Fragment>))}
            </dl>
          </CardBody>
        </Card>
        <Card>
          <CardHeader title="Usage" subtitle="Live, every 5 s." />
          <CardBody><VeUsage usage={usage.data} limits={v.limits} loading={usage.isPending} /></CardBody>
        </Card>
      </div>
      <div className="mt-6 space-y-6">
        <UsageGraphs source={{ kind: 'myVe', id }} />
        <VeQuota veId={id} mine />
        <div className="grid gap-6 lg:grid-cols-2">
          <HostnameForm current={v.hostname} disabled={paused} onTask={onTask} run={(hostname) => client.portal.setHostname.mutate({ id, hostname })} />
          <PasswordForm disabled={paused} onTask={onTask} run={(password) => client.portal.setPassword.mutate({ id, password })} />
        </div>
        <VeBackups veId={v.id} ctid={v.ctid} disabled={paused} onTask={onTask} />
        <ReinstallForm templates={v.templates} current={v.template} disabled={paused} onTask={onTask} run={(i) => client.portal.reinstall.mutate({ id, ...i })} />
        <VeSshKeys veId={v.id} portal disabled={paused} onTask={onTask} />
        <VeBeancounters veId={v.id} data={ubc.data} error={ubc.error} loading={ubc.isFetching} onRefresh={() => void ubc.refetch()} />
        <VeTasks veId={v.id} portal onOpen={setTask} />
        <VeHistory veId={v.id} />
      </div>
    </>
  );
}
