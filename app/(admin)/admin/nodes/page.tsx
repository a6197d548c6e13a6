'use client';
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatAgo, formatBytes, formatLoad } from '@/app/_lib/format';
import { PageHeader, Card } from '@/app/_components/Card';
import { NodeStateBadge } from '@/app/_components/Badge';
import { ErrorAlert } from '@/app/_components/Alert';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

export default function NodesPage() {
  const trpc = useTRPC();
  const nodes = useQuery({ ...trpc.nodes.list.queryOptions(), refetchInterval: 10_000 });
  return (
    <>
      <PageHeader title="Nodes" description="Hardware nodes running the vzagentd agent." />
      {nodes.error && <ErrorAlert error={nodes.error} className="mb-6" />}
      <Card>
        <Table>
          <THead>
            <tr>
              <Th>Name</Th><Th>State</Th><Th>CPUs</Th><Th>Load</Th><Th>Memory (avail / total)</Th><Th>Disk (free / total)</Th><Th>Containers</Th><Th>LXC</Th><Th>Last seen</Th>
            </tr>
          </THead>
          <TBody>
            {nodes.isPending && <EmptyRow colSpan={9}>Loading…</EmptyRow>}
            {nodes.data?.length === 0 && <EmptyRow colSpan={9}>No nodes registered yet.</EmptyRow>}
            {nodes.data?.map((n) => (
              <tr key={n.name} data-testid={`node-row-${n.name}`} className="hover:bg-slate-50">
                <Td className="font-medium text-slate-900">
                  <Link href={`/admin/nodes/${encodeURIComponent(n.name)}`} className="text-indigo-600 hover:underline">{n.name}</Link>
                </Td>
                <Td><NodeStateBadge state={n.state} /></Td>
                <Td>{n.info?.cpus ?? '—'}</Td>
                <Td className="font-mono text-xs">{formatLoad(n.info?.load)}</Td>
                <Td>{n.info ? `${formatBytes(n.info.memory.availableBytes)} / ${formatBytes(n.info.memory.totalBytes)}` : '—'}</Td>
                <Td>{n.info ? `${formatBytes(n.info.disk.freeBytes)} / ${formatBytes(n.info.disk.totalBytes)}` : '—'}</Td>
                <Td>{n.info ? `${n.info.ves.running} running / ${n.info.ves.total}` : '—'}</Td>
                <Td>{n.capabilities?.lxcVersion ?? '—'}</Td>
                <Td className="text-slate-500">{formatAgo(n.lastSeenAt)}</Td>
              </tr>
            ))}
          </TBody>
        </Table>
      </Card>
    </>
  );
}
