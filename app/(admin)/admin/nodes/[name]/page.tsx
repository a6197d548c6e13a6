'use client';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { useParams } from 'next/navigation';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatDate } from '@/app/_lib/format';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Badge, NodeStateBadge } from '@/app/_components/Badge';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { NodeFigures } from '@/app/_components/NodeFigures';
import { UsageGraphs } from '@/app/_components/UsageGraphs';

function Item({ label, value, mono }: { label: string; value: ReactNode; mono?: boolean }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className={`mt-1 truncate text-sm text-slate-900 ${mono ? 'font-mono text-xs' : ''}`}>{value}</dd>
    </div>
  );
}

export default function NodeDetailPage() {
  const name = decodeURIComponent(useParams<{ name: string }>().name);
  const trpc = useTRPC();
  const node = useQuery({ ...trpc.nodes.get.queryOptions({ name }), refetchInterval: 10_000 });
  const n = node.data;
  return (
    <>
      <div className="mb-2 text-sm"><Link href="/admin/nodes" className="text-slate-500 hover:text-slate-700">← Nodes</Link></div>
      <PageHeader title={name} description={n ? <>Last report {formatDate(n.lastSeenAt)}</> : undefined}
        actions={n && <NodeStateBadge state={n.state} data-testid="node-state" />} />
      {node.error && <ErrorAlert error={node.error} className="mb-6" />}
      {node.isPending && <p className="text-slate-500">Loading…</p>}
      {n && (
        <div className="space-y-6" data-testid={`node-${n.name}`}>
          <Card>
            <CardHeader title="Capacity and health" subtitle="Read from the node by its agent." />
            <CardBody><NodeFigures node={n} /></CardBody>
          </Card>
          <UsageGraphs source={{ kind: 'node', name: n.name }} />
          {n.state !== 'online' && n.stateReason && (
            <Alert tone="warning" title={`Node is ${n.state}`} data-testid="node-state-reason">{n.stateReason}</Alert>
          )}
          <Card>
            <CardHeader title="Node" />
            <CardBody>
              <dl className="grid grid-cols-2 gap-x-6 gap-y-4 sm:grid-cols-3 lg:grid-cols-6">
                <Item label="Address" value={n.address} mono />
                <Item label="Transport" value={n.transport === 'local' ? 'local (child process)' : 'SSH'} />
                <Item label="Hostname" value={n.capabilities?.hostname ?? '—'} mono />
                <Item label="Agent" value={n.capabilities?.agentVersion ? `vzagentd ${n.capabilities.agentVersion}` : '—'} />
                <Item label="Group" value={n.nodeGroup?.name ?? '—'} />
                <Item label="Maintenance" value={n.maintenance ? <Badge tone="amber">on</Badge> : 'off'} />
              </dl>
            </CardBody>
          </Card>
          <Card>
            <CardHeader title="Capabilities" subtitle="What this node's kernel and tools support." />
            <CardBody>
              <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2">
                <div>
                  <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Storage backends</dt>
                  <dd className="mt-1 flex flex-wrap gap-1.5">{(n.capabilities?.storage ?? []).map((s) => <Badge key={s}>{s}</Badge>)}{!n.capabilities?.storage?.length && '—'}</dd>
                </div>
                <div>
                  <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Agent features</dt>
                  <dd className="mt-1 flex flex-wrap gap-1.5">{(n.capabilities?.features ?? []).map((s) => <Badge key={s} tone="indigo">{s}</Badge>)}{!n.capabilities?.features?.length && '—'}</dd>
                </div>
              </dl>
            </CardBody>
          </Card>
        </div>
      )}
    </>
  );
}
