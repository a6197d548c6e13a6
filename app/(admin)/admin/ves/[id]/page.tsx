'use client';
// One VE for an admin: overview, live usage, power, limits, addresses, hostname, password, reinstall,
// console, tasks and destroy. Every action shows its task's progress and log live.
import Link from 'next/link';
import { use, useCallback, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useTRPCClient } from '@/app/_lib/trpc';
import { formatDate } from '@/app/_lib/format';
import { errorCode } from '@/app/_lib/errors';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { VeStateBadge } from '@/app/_components/VeStateBadge';
import { TaskProgress } from '@/app/_components/TaskProgress';
import { HostnameForm, PasswordForm, PowerButtons, ReinstallForm, VeTasks } from '@/app/_components/VeForms';
import { DestroyForm, LimitsForm } from '@/app/_components/VeAdminForms';
import { VeUsage } from '@/app/_components/VeUsage';
import { UsageGraphs } from '@/app/_components/UsageGraphs';
import { VeDrift } from '@/app/_components/VeDrift';
import { VeMigrateDialog } from '@/app/_components/VeMigrateDialog';
import { VeOnboot } from '@/app/_components/VeOnboot';
import { VeQuota } from '@/app/_components/VeQuota';
import { VeAddresses } from '@/app/_components/VeAddresses';
import { VeSshKeys } from '@/app/_components/VeSshKeys';
import { VeBeancounters } from '@/app/_components/VeBeancounters';
import { useCanChange } from '@/app/_components/Can';

const POWER = ['start', 'stop', 'restart', 'kill', 'suspend', 'resume'] as const;

export default function AdminVePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const ve = useQuery({ ...trpc.ves.get.queryOptions({ id }), refetchInterval: 5_000 });
  const usage = useQuery({ ...trpc.ves.usage.queryOptions({ id }), refetchInterval: 5_000, enabled: ve.isSuccess });
  const templates = useQuery(trpc.templates.list.queryOptions());
  const plans = useQuery(trpc.plans.list.queryOptions());
  const ubc = useQuery({ ...trpc.ves.beancounters.queryOptions({ id }), enabled: ve.isSuccess, retry: false });
  const [task, setTask] = useState<string | null>(null);
  const [migrating, setMigrating] = useState(false);
  const refresh = useCallback(() => {
    void qc.invalidateQueries({ queryKey: trpc.ves.get.queryKey({ id }) });
    void qc.invalidateQueries({ queryKey: trpc.ves.usage.queryKey({ id }) });
    void qc.invalidateQueries({ queryKey: trpc.tasks.list.queryKey() });
  }, [qc, trpc, id]);
  const onTask = (taskId: string) => { setTask(taskId); refresh(); };

  // Support reads everything and changes nothing (the server refuses anyway): no controls it cannot use.
  const canChange = useCanChange();
  if (ve.error) {
    return errorCode(ve.error) === 'NOT_FOUND'
      ? <Alert tone="error" title="Not found" data-testid="ve-not-found">This VE does not exist (it may have been destroyed). <Link href="/admin/ves" className="underline">All VEs</Link></Alert>
      : <ErrorAlert error={ve.error} />;
  }
  if (!ve.data) return <p className="text-slate-500">Loading…</p>;
  const v = ve.data;
  const plan = plans.data?.find((p) => p.id === v.plan?.id);
  const allowed = (templates.data ?? []).filter((t) => t.enabled && (!plan || !plan.templates.length || plan.templates.some((x) => x.id === t.id)));

  return (
    <>
      <PageHeader
        title={<span className="flex items-center gap-3"><span data-testid="ve-hostname">{v.hostname}</span><VeStateBadge state={v.state} /></span>}
        description={<>VE <span className="font-mono" data-testid="ve-ctid">{v.ctid}</span> on {v.node.name}</>}
        actions={
          <div className="flex items-start gap-3">
            {canChange && <Button variant="secondary" size="sm" data-testid="open-migrate" disabled={v.state !== 'running' && v.state !== 'stopped'} onClick={() => setMigrating(true)}>Migrate</Button>}
            <Link href={`/admin/ves/${v.id}/console`}><Button variant="secondary" size="sm" data-testid="open-console" disabled={!v.consoleOpen}>Console</Button></Link>
            {canChange && <PowerButtons state={v.state} actions={POWER} onTask={onTask} run={(action) => client.ves.power.mutate({ id, action: action as (typeof POWER)[number] })} />}
          </div>
        }
      />
      {migrating && <VeMigrateDialog ve={v} onClose={() => setMigrating(false)} onDone={refresh} />}
      {task && <div className="mb-6"><TaskProgress taskId={task} onDone={refresh} /></div>}
      {v.lastError && <Alert tone="error" title="Last error" className="mb-6">{v.lastError}</Alert>}
      <VeDrift id={id} readOnly={!canChange} onTask={onTask} onChanged={refresh} />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader title="Overview" />
          <CardBody>
            <dl className="grid grid-cols-[8rem_1fr] gap-y-2 text-sm" data-testid="ve-overview">
              <dt className="text-slate-500">Node</dt><dd>{v.node.name}</dd>
              <dt className="text-slate-500">Plan</dt><dd>{v.plan?.name ?? '—'}</dd>
              <dt className="text-slate-500">Template</dt><dd>{v.template.name}</dd>
              <dt className="text-slate-500">Customer</dt><dd>{v.owner ? v.owner.email : '—'}</dd>
              <dt className="text-slate-500">RAM</dt><dd data-testid="ve-ram">{v.limits.ram} MiB</dd>
              <dt className="text-slate-500">Disk</dt><dd>{v.limits.diskspace} MiB</dd>
              <dt className="text-slate-500">CPUs</dt><dd>{v.limits.cpus}{v.limits.cpulimit ? ` (limit ${v.limits.cpulimit}%)` : ''}</dd>
              <dt className="text-slate-500">External id</dt><dd>{v.externalId ?? '—'}</dd>
              <dt className="text-slate-500">Created</dt><dd>{formatDate(v.createdAt)}</dd>
              {v.suspendReason && <><dt className="text-slate-500">Suspended</dt><dd>{v.suspendReason}</dd></>}
            </dl>
          </CardBody>
        </Card>
        <Card>
          <CardHeader title="Usage" subtitle="Live from the node, every 5 s." />
          <CardBody><VeUsage usage={usage.data} limits={v.limits} loading={usage.isPending} /></CardBody>
        </Card>
      </div>
      <div className="mt-6 space-y-6">
        <UsageGraphs source={{ kind: 've', id: v.id }} />
        {canChange && <VeQuota veId={v.id} onTask={onTask} />}
        {canChange && <LimitsForm veId={v.id} limits={v.limits} overrides={v.overrides} onTask={onTask} />}
        {canChange && <VeOnboot veId={v.id} onboot={v.onboot} onTask={onTask} />}
        <VeAddresses veId={v.id} addresses={v.addresses} readOnly={!canChange} onTask={onTask} />
        <VeSshKeys veId={v.id} readOnly={!canChange} onTask={onTask} />
        {canChange && (
          <>
            <div className="grid gap-6 lg:grid-cols-2">
              <HostnameForm current={v.hostname} onTask={onTask} run={(hostname) => client.ves.setHostname.mutate({ id, hostname })} />
              <PasswordForm onTask={onTask} run={(password) => client.ves.setPassword.mutate({ id, password })} />
            </div>
            <ReinstallForm templates={allowed} current={v.template.name} onTask={onTask} run={(i) => client.ves.reinstall.mutate({ id, ...i })} />
          </>
        )}
        <VeBeancounters veId={v.id} data={ubc.data} error={ubc.error} loading={ubc.isFetching} onRefresh={() => void ubc.refetch()} />
        <VeTasks veId={v.id} onOpen={setTask} />
        {canChange && <DestroyForm veId={v.id} ctid={v.ctid} onTask={onTask} />}
      </div>
    </>
  );
}
