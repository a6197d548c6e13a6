'use client';
import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTRPC, type RouterInputs } from '@/app/_lib/trpc';
import { formatDate } from '@/app/_lib/format';
import { Card, PageHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { Button } from '@/app/_components/Button';
import { Input } from '@/app/_components/Input';
import { Select } from '@/app/_components/Select';
import { ErrorAlert } from '@/app/_components/Alert';
import { Pager } from '@/app/_components/Pager';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

type Filters = { actor: string; action: string; outcome: string; veId: string; nodeId: string; from: string; to: string };
const EMPTY: Filters = { actor: '', action: '', outcome: '', veId: '', nodeId: '', from: '', to: '' };
const TONE = { success: 'green', failure: 'red', denied: 'amber' } as const;

/** The filters as the API takes them: empty fields left out, local datetimes as ISO instants. */
function toQuery(f: Filters): Record<string, string> {
  const q: Record<string, string> = {};
  for (const k of ['actor', 'action', 'outcome', 'veId', 'nodeId'] as const) if (f[k].trim()) q[k] = f[k].trim();
  if (f.from) q.from = new Date(f.from).toISOString();
  if (f.to) q.to = new Date(f.to).toISOString();
  return q;
}

export default function AuditPage() {
  const trpc = useTRPC();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [page, setPage] = useState(1);
  const q = toQuery(applied);
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const list = useQuery({ ...trpc.audit.list.queryOptions({ ...(q as RouterInputs['audit']['list']), page, pageSize: 50 }), placeholderData: keepPreviousData });
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));
  const csvHref = `/api/audit.csv?${new URLSearchParams(q).toString()}`;
  return (
    <>
      <PageHeader title="Audit log" description="Every change made through the panel or the billing API: who, what, on which VE or node, the result, and from where."
        actions={<a href={csvHref} download data-testid="audit-csv"><Button variant="secondary">Download CSV</Button></a>} />
      <Card>
        <form className="grid gap-3 border-b border-slate-200 p-4 md:grid-cols-4 lg:grid-cols-8" onSubmit={(e) => { e.preventDefault(); setApplied(draft); setPage(1); }} data-testid="audit-filters">
          <Input placeholder="Actor (e-mail or key name)" aria-label="Actor" value={draft.actor} onChange={set('actor')} data-testid="audit-actor" />
          <Input placeholder="Action (ves. or ves.power)" aria-label="Action" value={draft.action} onChange={set('action')} data-testid="audit-action" />
          <Select aria-label="Result" value={draft.outcome} onChange={set('outcome')} data-testid="audit-outcome">
            <option value="">Any result</option><option value="success">success</option><option value="failure">failure</option><option value="denied">denied</option>
          </Select>
          <Input placeholder="VE id" aria-label="VE id" value={draft.veId} onChange={set('veId')} data-testid="audit-ve" />
          <Select aria-label="Node" value={draft.nodeId} onChange={set('nodeId')} data-testid="audit-node">
            <option value="">Any node</option>
            {nodes.data?.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
          </Select>
          <Input type="datetime-local" aria-label="From" value={draft.from} onChange={set('from')} />
          <Input type="datetime-local" aria-label="To" value={draft.to} onChange={set('to')} />
          <div className="flex gap-2">
            <Button type="submit" data-testid="audit-apply">Filter</Button>
            <Button type="button" variant="ghost" onClick={() => { setDraft(EMPTY); setApplied(EMPTY); setPage(1); }}>Clear</Button>
          </div>
        </form>
        <ErrorAlert error={list.error} className="m-4" />
        <Table data-testid="audit-table">
          <THead><tr><Th>When</Th><Th>Who</Th><Th>Action</Th><Th>Target</Th><Th>Result</Th><Th>From</Th></tr></THead>
          <TBody>
            {list.isPending && <EmptyRow colSpan={6}>Loading…</EmptyRow>}
            {list.data?.total === 0 && <EmptyRow colSpan={6}>No entries match.</EmptyRow>}
            {list.data?.items.map((r) => (
              <tr key={r.id} data-testid="audit-row" data-action={r.action}>
                <Td className="text-slate-500">{formatDate(r.createdAt)}</Td>
                <Td><span className="font-medium text-slate-900">{r.actorLabel ?? r.actorId ?? '—'}</span> <Badge tone={r.actorType === 'apiKey' ? 'indigo' : 'slate'}>{r.actorType === 'apiKey' ? 'API key' : r.actorType}</Badge></Td>
                <Td className="font-mono text-xs">{r.action}</Td>
                <Td className="text-xs">{r.targetType ? <>{r.targetType} {r.targetLabel ?? <code className="text-slate-500">{r.targetId}</code>}</> : '—'}</Td>
                <Td><Badge tone={TONE[r.outcome]}>{r.outcome}</Badge></Td>
                <Td className="max-w-64 truncate text-xs text-slate-500" title={r.userAgent ?? undefined}>{r.ip ?? '—'}{r.userAgent ? ` · ${r.userAgent}` : ''}</Td>
              </tr>
            ))}
          </TBody>
        </Table>
        {list.data && <Pager page={list.data.page} pageSize={list.data.pageSize} total={list.data.total} onPage={setPage} />}
      </Card>
    </>
  );
}
