'use client';
// The VE table: every search, filter, sort and page is done by the server (ves.list), so it stays fast with 10,000 VEs.
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { useRouter } from 'next/navigation';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, type RouterInputs } from '@/app/_lib/trpc';
import { Card, PageHeader } from '@/app/_components/Card';
import { CanChange, useCanChange } from '@/app/_components/Can';
import { Button } from '@/app/_components/Button';
import { Input } from '@/app/_components/Input';
import { Select } from '@/app/_components/Select';
import { Pager } from '@/app/_components/Pager';
import { ErrorAlert, Alert } from '@/app/_components/Alert';
import { VeStateBadge } from '@/app/_components/VeStateBadge';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

type ListInput = NonNullable<RouterInputs['ves']['list']>;
type Sort = NonNullable<ListInput['sort']>;
const STATES = ['creating', 'stopped', 'running', 'suspended', 'migrating', 'reinstalling', 'error', 'destroying', 'restoring'] as const;
const PAGE_SIZE = 50;

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export default function VesPage() {
  const trpc = useTRPC();
  const canChange = useCanChange();
  const qc = useQueryClient();
  const [q, setQ] = useState('');
  const [filters, setFilters] = useState<{ nodeId?: string; planId?: string; templateId?: string; state?: (typeof STATES)[number] }>({});
  const [sort, setSort] = useState<{ sort: Sort; dir: 'asc' | 'desc' }>({ sort: 'ctid', dir: 'asc' });
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const search = useDebounced(q.trim(), 300);
  useEffect(() => setPage(1), [search, filters]);

  const input: ListInput = { q: search || undefined, ...filters, ...sort, page, pageSize: PAGE_SIZE };
  const ves = useQuery({ ...trpc.ves.list.queryOptions(input), placeholderData: keepPreviousData, refetchInterval: 5_000 });
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const plans = useQuery(trpc.plans.list.queryOptions());
  const templates = useQuery(trpc.templates.list.queryOptions());
  const power = useMutation(trpc.ves.power.mutationOptions());
  const [bulkResult, setBulkResult] = useState<string | null>(null);
  const router = useRouter();
  // CTIDs of rows seen on any page, so a selection spanning pages goes to the bulk form as short CTIDs (not long ids) in the URL.
  const ctidOf = useRef(new Map<string, number>());
  useEffect(() => { for (const r of ves.data?.items ?? []) ctidOf.current.set(r.id, r.ctid); }, [ves.data]);

  const rows = ves.data?.items ?? [];
  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const toggle = (id: string) => setSelected((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const toggleAll = () => setSelected((s) => { const n = new Set(s); for (const r of rows) { if (allOnPage) n.delete(r.id); else n.add(r.id); } return n; });
  const sortBy = (s: Sort) => setSort((cur) => ({ sort: s, dir: cur.sort === s && cur.dir === 'asc' ? 'desc' : 'asc' }));
  const arrow = (s: Sort) => (sort.sort === s ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : '');

  async function bulk(action: 'start' | 'stop' | 'restart') {
    const ids = [...selected];
    const results = await Promise.allSettled(ids.map((id) => power.mutateAsync({ id, action })));
    const failed = results.filter((r) => r.status === 'rejected').length;
    setBulkResult(`${action}: ${ids.length - failed} queued${failed ? `, ${failed} refused` : ''}`);
    setSelected(new Set());
    await qc.invalidateQueries({ queryKey: trpc.ves.list.queryKey() });
  }

  function bulkAction() {
    const ctids = [...selected].map((id) => ctidOf.current.get(id)).filter((c): c is number => c !== undefined).sort((a, b) => a - b);
    router.push(`/admin/bulk/new?ctids=${ctids.join(',')}`);
  }

  return (
    <>
      <PageHeader title="VEs" description="Containers on every node." actions={<CanChange><Link href="/admin/ves/new"><Button data-testid="new-ve">Create VE</Button></Link></CanChange>} />
      <Card>
        <div className="flex flex-wrap items-center gap-3 border-b border-slate-200 p-4">
          <Input className="max-w-xs" placeholder="Search CTID, hostname, IP, customer…" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Search" data-testid="ve-search" />
          <Select className="w-40" aria-label="Node" value={filters.nodeId ?? ''} onChange={(e) => setFilters((f) => ({ ...f, nodeId: e.target.value || undefined }))}>
            <option value="">All nodes</option>
            {nodes.data?.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
          </Select>
          <Select className="w-40" aria-label="Plan" value={filters.planId ?? ''} onChange={(e) => setFilters((f) => ({ ...f, planId: e.target.value || undefined }))}>
            <option value="">All plans</option>
            {plans.data?.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </Select>
          <Select className="w-44" aria-label="Template" value={filters.templateId ?? ''} onChange={(e) => setFilters((f) => ({ ...f, templateId: e.target.value || undefined }))}>
            <option value="">All templates</option>
            {templates.data?.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
          </Select>
          <Select className="w-36" aria-label="State" value={filters.state ?? ''} onChange={(e) => setFilters((f) => ({ ...f, state: (e.target.value || undefined) as (typeof STATES)[number] | undefined }))}>
            <option value="">All states</option>
            {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </Select>
          {selected.size > 0 && canChange && (
            <span className="ml-auto flex items-center gap-2 text-sm" data-testid="bulk-bar">
              <span className="text-slate-600">{selected.size} selected</span>
              <Button size="sm" variant="secondary" onClick={() => bulk('start')}>Start</Button>
              <Button size="sm" variant="secondary" onClick={() => bulk('stop')}>Stop</Button>
              <Button size="sm" variant="secondary" onClick={() => bulk('restart')}>Restart</Button>
              <Button size="sm" data-testid="bulk-action" onClick={bulkAction}>Bulk action…</Button>
            </span>
          )}
        </div>
        {bulkResult && <Alert tone="info" className="m-4">{bulkResult}</Alert>}
        <ErrorAlert error={ves.error} className="m-4" />
        <Table data-testid="ve-table">
          <THead>
            <tr>
              <Th className="w-8"><input type="checkbox" aria-label="Select page" checked={allOnPage} onChange={toggleAll} className="size-4 accent-indigo-600" /></Th>
              <Th><button onClick={() => sortBy('ctid')}>CTID{arrow('ctid')}</button></Th>
              <Th><button onClick={() => sortBy('hostname')}>Hostname{arrow('hostname')}</button></Th>
              <Th><button onClick={() => sortBy('state')}>State{arrow('state')}</button></Th>
              <Th>Addresses</Th>
              <Th><button onClick={() => sortBy('node')}>Node{arrow('node')}</button></Th>
              <Th>Plan</Th><Th>Customer</Th>
              <Th><button onClick={() => sortBy('createdAt')}>Created{arrow('createdAt')}</button></Th>
            </tr>
          </THead>
          <TBody>
            {ves.isPending && <EmptyRow colSpan={9}>Loading…</EmptyRow>}
            {ves.data?.total === 0 && <EmptyRow colSpan={9}>No VEs match.</EmptyRow>}
            {rows.map((v) => (
              <tr key={v.id} className="hover:bg-slate-50" data-testid={`ve-row-${v.ctid}`}>
                <Td><input type="checkbox" aria-label={`Select VE ${v.ctid}`} checked={selected.has(v.id)} onChange={() => toggle(v.id)} className="size-4 accent-indigo-600" /></Td>
                <Td className="font-mono"><Link href={`/admin/ves/${v.id}`} className="text-indigo-600 hover:underline">{v.ctid}</Link></Td>
                <Td className="font-medium text-slate-900"><Link href={`/admin/ves/${v.id}`} className="hover:underline">{v.hostname}</Link></Td>
                <Td><VeStateBadge state={v.state} /></Td>
                <Td className="font-mono text-xs">{v.ipAddresses.join(', ') || '—'}</Td>
                <Td>{v.node.name}</Td>
                <Td>{v.plan?.name ?? '—'}</Td>
                <Td className="text-slate-600">{v.owner?.email ?? '—'}</Td>
                <Td className="text-slate-500">{v.createdAt.slice(0, 10)}</Td>
              </tr>
            ))}
          </TBody>
        </Table>
        {ves.data && <Pager page={ves.data.page} pageSize={ves.data.pageSize} total={ves.data.total} onPage={setPage} />}
      </Card>
    </>
  );
}
