'use client';
// The node list: search, filters and paging are done by the server (nodes.page), so it stays fast with 1,000 nodes.
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatAgo, formatBytes, formatLoad } from '@/app/_lib/format';
import { PageHeader, Card } from '@/app/_components/Card';
import { Badge, NodeStateBadge } from '@/app/_components/Badge';
import { Button } from '@/app/_components/Button';
import { CanChange } from '@/app/_components/Can';
import { Input } from '@/app/_components/Input';
import { Select } from '@/app/_components/Select';
import { Pager } from '@/app/_components/Pager';
import { ErrorAlert } from '@/app/_components/Alert';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

const PAGE_SIZE = 50;

export default function NodesPage() {
  const trpc = useTRPC();
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [state, setState] = useState<'' | 'online' | 'offline' | 'unknown'>('');
  const [group, setGroup] = useState('');
  const [page, setPage] = useState(1);
  useEffect(() => { const t = setTimeout(() => setSearch(q.trim()), 300); return () => clearTimeout(t); }, [q]);
  useEffect(() => setPage(1), [search, state, group]);
  const nodes = useQuery({
    ...trpc.nodes.page.queryOptions({ q: search || undefined, state: state || undefined, nodeGroupId: group || undefined, page, pageSize: PAGE_SIZE }),
    placeholderData: keepPreviousData, refetchInterval: 10_000,
  });
  const groups = useQuery(trpc.nodeGroups.list.queryOptions());
  const filtered = !!(search || state || group);
  return (
    <>
      <PageHeader title="Nodes" description="Hardware nodes running the vzagentd agent."
        actions={<>
          <Link href="/admin/node-groups"><Button variant="secondary">Node groups</Button></Link>
          <CanChange><Link href="/admin/nodes/new"><Button data-testid="add-node">Add node</Button></Link></CanChange>
        </>} />
      <Card>
        <div className="flex flex-wrap items-center gap-3 border-b border-slate-200 p-4">
          <Input className="max-w-xs" placeholder="Search name or address" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Search nodes" data-testid="node-search" />
          <Select className="w-36" aria-label="State" value={state} onChange={(e) => setState(e.target.value as typeof state)}>
            <option value="">All states</option><option value="online">online</option><option value="offline">offline</option><option value="unknown">unknown</option>
          </Select>
          <Select className="w-44" aria-label="Group" value={group} onChange={(e) => setGroup(e.target.value)}>
            <option value="">All groups</option><option value="none">No group</option>
            {groups.data?.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
          </Select>
        </div>
        <ErrorAlert error={nodes.error} className="m-4" />
        <Table>
          <THead>
            <tr>
              <Th>Name</Th><Th>State</Th><Th>Group</Th><Th>CPUs</Th><Th>Load</Th><Th>Memory (avail / total)</Th><Th>Disk (free / total)</Th><Th>VEs</Th><Th>LXC</Th><Th>Last seen</Th>
            </tr>
          </THead>
          <TBody>
            {nodes.isPending && <EmptyRow colSpan={10}>Loading…</EmptyRow>}
            {nodes.data?.total === 0 && (
              <EmptyRow colSpan={10}>{filtered ? 'No node matches these filters.' : <>No nodes registered yet. <Link href="/admin/nodes/new" className="text-indigo-600 hover:underline">Add the first one</Link>.</>}</EmptyRow>
            )}
            {nodes.data?.items.map((n) => (
              <tr key={n.name} data-testid={`node-row-${n.name}`} className="hover:bg-slate-50">
                <Td className="font-medium text-slate-900">
                  <Link href={`/admin/nodes/${encodeURIComponent(n.name)}`} className="text-indigo-600 hover:underline">{n.name}</Link>
                </Td>
                <Td className="space-x-1">
                  <NodeStateBadge state={n.state} />
                  {n.maintenance && <Badge tone="amber">maintenance</Badge>}
                  {n.hostKeyMismatch && <Badge tone="red">host key changed</Badge>}
                </Td>
                <Td>{n.nodeGroup?.name ?? '—'}</Td>
                <Td>{n.info?.cpus ?? '—'}</Td>
                <Td className="font-mono text-xs">{formatLoad(n.info?.load)}</Td>
                <Td>{n.info ? `${formatBytes(n.info.memory.availableBytes)} / ${formatBytes(n.info.memory.totalBytes)}` : '—'}</Td>
                <Td>{n.info ? `${formatBytes(n.info.disk.freeBytes)} / ${formatBytes(n.info.disk.totalBytes)}` : '—'}</Td>
                <Td>{n.info ? `${n.info.ves.running} running / ${n.veCount}` : n.veCount}</Td>
                <Td>{n.capabilities?.lxcVersion ?? '—'}</Td>
                <Td className="text-slate-500">{formatAgo(n.lastSeenAt)}</Td>
              </tr>
            ))}
          </TBody>
        </Table>
        {nodes.data && <Pager page={nodes.data.page} pageSize={nodes.data.pageSize} total={nodes.data.total} onPage={setPage} />}
      </Card>
    </>
  );
}
