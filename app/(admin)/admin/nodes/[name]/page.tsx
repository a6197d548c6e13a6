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
import { CapabilitiesCard, HostKeyCard, MaintenanceCard, RemoveCard } from '../_components/NodeActions';
import { EvacuateCard } from '../_components/EvacuateCard';
import { CanChange } from '@/app/_components/Can';
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
      {node.isPending && <p className="text-slate-500" data-testid="node-loading">Loading…</p>}
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
                <Item label="Address" value={`${n.address}${n.transport === 'ssh' ? `:${n.sshPort}` : ''}`} mono />
                <Item label="Transport" value={n.transport === 'local' ? 'local (child process)' : 'SSH'} />
                <Item label="Hostname" value={n.capabilities?.hostname ?? '—'} mono />
                <Item label="Agent" value={n.capabilities?.agentVersion ? `vzagentd ${n.capabilities.agentVersion}` : '—'} />
                <Item label="Group" value={n.nodeGroup?.name ?? '—'} />
                <Item label="Maintenance" value={n.maintenance ? <Badge tone="amber">on</Badge> : 'off'} />
              </dl>
            </CardBody>
          </Card>
          <CapabilitiesCard node={n} />
          {/* support reads only: the node's actions are for owners and admins */}
          <CanChange>
            <MaintenanceCard node={n} />
            <HostKeyCard node={n} />
            <EvacuateCard node={n} />
            <RemoveCard node={n} />
          </CanChange>
        </div>
      )}
    </>
  );
}
