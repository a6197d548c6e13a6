'use client';
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatBytes } from '@/app/_lib/format';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { NodeStateBadge } from '@/app/_components/Badge';
import { ErrorAlert } from '@/app/_components/Alert';
import { NodeFigures, type NodeRow } from '@/app/_components/NodeFigures';
import { DashboardPanels } from '@/app/_components/DashboardPanels';

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Card>
      <CardBody>
        <div className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</div>
        <div className="mt-1 text-2xl font-semibold text-slate-900" data-testid={testId}>{value}</div>
      </CardBody>
    </Card>
  );
}

function totals(nodes: NodeRow[]) {
  let mem = 0, running = 0, ves = 0;
  for (const n of nodes) {
    mem += n.info?.memory.totalBytes ?? 0;
    running += n.info?.ves.running ?? 0;
    ves += n.info?.ves.total ?? 0;
  }
  return { online: nodes.filter((n) => n.state === 'online').length, mem, running, ves };
}

export default function Dashboard() {
  const trpc = useTRPC();
  // Figures are live: refresh every 10 s while the page is open.
  const nodes = useQuery({ ...trpc.nodes.list.queryOptions(), refetchInterval: 10_000 });
  const t = nodes.data ? totals(nodes.data) : null;
  return (
    <>
      <PageHeader title="Dashboard" description="Nodes and containers at a glance." />
      {nodes.error && <ErrorAlert error={nodes.error} className="mb-6" />}
      {t && (
        <div className="mb-8 grid grid-cols-2 gap-4 lg:grid-cols-4">
          <Stat label="Nodes online" value={`${t.online} / ${nodes.data!.length}`} testId="stat-nodes-online" />
          <Stat label="Containers running" value={`${t.running} / ${t.ves}`} testId="stat-ves" />
          <Stat label="Total memory" value={formatBytes(t.mem)} testId="stat-memory" />
          <Stat label="Nodes offline" value={String(nodes.data!.length - t.online)} testId="stat-nodes-offline" />
        </div>
      )}
      <DashboardPanels />
      {nodes.isPending && <p className="text-slate-500">Loading nodes…</p>}
      {nodes.data?.length === 0 && <Card><CardBody className="py-10 text-center text-slate-500">No nodes registered yet.</CardBody></Card>}
      <div className="space-y-6">
        {nodes.data?.map((node) => (
          <Card key={node.name} data-testid={`node-${node.name}`}>
            <CardHeader
              title={<Link href={`/admin/nodes/${encodeURIComponent(node.name)}`} className="hover:underline">{node.name}</Link>}
              actions={<NodeStateBadge state={node.state} data-testid="node-state" />}
            />
            <CardBody>
              {node.state !== 'online' && node.stateReason && (
                <p className="mb-4 text-sm text-amber-800" data-testid="node-state-reason">{node.stateReason}</p>
              )}
              <NodeFigures node={node} />
            </CardBody>
          </Card>
        ))}
      </div>
    </>
  );
}
