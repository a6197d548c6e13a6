'use client';
// One bulk job: counts and the per-VE result matrix, polled every second while the job runs; Cancel and Re-run failed.
import { Fragment, useState } from 'react';
import Link from 'next/link';
import { useParams, useRouter } from 'next/navigation';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatAgo } from '@/app/_lib/format';
import { Card, CardHeader, PageHeader } from '@/app/_components/Card';
import { Badge, type Tone } from '@/app/_components/Badge';
import { CanChange } from '@/app/_components/Can';
import { Button } from '@/app/_components/Button';
import { Pager } from '@/app/_components/Pager';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';
import { ItemLog } from '../_components/ItemLog';

const ITEM_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
type ItemStatus = (typeof ITEM_STATUSES)[number];
const PAGE_SIZE = 200;

const statusTone = (s: string): Tone =>
  s === 'succeeded' ? 'green' : s === 'failed' ? 'red' : s === 'running' ? 'indigo' : s === 'partial' || s === 'queued' ? 'amber' : 'slate';
const duration = (ms: number | null) => (ms == null ? '—' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

function describe(params: unknown): string {
  const p = (params ?? {}) as Record<string, unknown>;
  if (p.type === 'script') return `script (timeout ${String(p.timeoutSec)} s)`;
  if (p.type === 'packageUpdate') return `package update${Array.isArray(p.packages) ? `: ${p.packages.join(' ')}` : p.upgrade === false ? ' (refresh only)' : ' (full upgrade)'}`;
  if (p.type === 'power') return `power ${String(p.action)}`;
  if (p.type === 'limits') return `limits ${JSON.stringify(p.overrides)}`;
  return String(p.type ?? 'unknown');
}

export default function BulkJobPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const { id } = useParams<{ id: string }>();
  const [filter, setFilter] = useState<ItemStatus | null>(null);
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<number | null>(null);
  const [includeCancelled, setIncludeCancelled] = useState(false);
  const job = useQuery({
    ...trpc.bulk.get.queryOptions({ id, page, pageSize: PAGE_SIZE, status: filter ? [filter] : undefined }),
    placeholderData: keepPreviousData,
    // Every second while anything can still change; stop once the job is final.
    refetchInterval: (q) => (!q.state.data || q.state.data.status === 'queued' || q.state.data.status === 'running' ? 1_000 : false),
  });
  const cancel = useMutation(trpc.bulk.cancel.mutationOptions({ onSuccess: () => void job.refetch() }));
  const rerun = useMutation(trpc.bulk.rerunFailed.mutationOptions({ onSuccess: (r) => router.push(`/admin/bulk/${r.jobId}`) }));
  const j = job.data;
  const live = j && (j.status === 'queued' || j.status === 'running');
  const rerunnable = j && !live && (j.counts.failed > 0 || (includeCancelled && j.counts.cancelled > 0));
  const done = j ? j.counts.succeeded + j.counts.failed + j.counts.skipped + j.counts.cancelled : 0;

  return (
    <>
      <PageHeader
        title={<span>Bulk job {j && <Badge tone={statusTone(j.status)} dot className="ml-2 align-middle" data-testid="bulk-job-status">{j.status}</Badge>}</span>}
        description={j ? `${describe(j.params)} · ${j.total} VEs · created ${formatAgo(j.createdAt)}` : id}
        actions={
          <>
            <Link href="/admin/bulk"><Button variant="secondary">All bulk jobs</Button></Link>
            <CanChange>
            {live && <Button variant="danger" onClick={() => cancel.mutate({ id })} loading={cancel.isPending} disabled={!!j?.cancelRequestedAt} data-testid="bulk-cancel">{j?.cancelRequestedAt ? 'Cancelling…' : 'Cancel'}</Button>}
            {j && !live && (
              <>
                <label className="flex items-center gap-1.5 text-sm text-slate-600">
                  <input type="checkbox" className="size-4 accent-indigo-600" checked={includeCancelled} onChange={(e) => setIncludeCancelled(e.target.checked)} />
                  also cancelled
                </label>
                <Button onClick={() => rerun.mutate({ id, includeCancelled })} loading={rerun.isPending} disabled={!rerunnable} data-testid="bulk-rerun">Re-run failed</Button>
              </>
            )}
            </CanChange>
          </>
        }
      />
      <ErrorAlert error={job.error} className="mb-4" />
      <ErrorAlert error={cancel.error} className="mb-4" />
      <ErrorAlert error={rerun.error} className="mb-4" />
      {j?.stopReason && <Alert tone="warning" className="mb-4" data-testid="bulk-stop-reason">Stopped early: {j.stopReason}</Alert>}
      {j?.task?.error && <Alert tone="error" className="mb-4">{j.task.error}</Alert>}
      {j?.rerunOfId && <p className="mb-4 text-sm text-slate-600">Re-run of <Link className="text-indigo-600 hover:underline" href={`/admin/bulk/${j.rerunOfId}`}>job {j.rerunOfId.slice(0, 8)}</Link>.</p>}
      {j && (
        <Card className="mb-6">
          <div className="flex flex-wrap items-center gap-2 p-4" data-testid="bulk-counts">
            <span className="mr-2 text-sm text-slate-600">{done} / {j.total} done</span>
            <button onClick={() => { setFilter(null); setPage(1); }}><Badge tone={filter === null ? 'indigo' : 'slate'}>all {j.total}</Badge></button>
            {ITEM_STATUSES.map((s) => (
              <button key={s} onClick={() => { setFilter(filter === s ? null : s); setPage(1); }} data-testid={`bulk-count-${s}`}>
                <Badge tone={statusTone(s)} className={filter === s ? 'ring-2' : ''}>{s} {j.counts[s]}</Badge>
              </button>
            ))}
            <span className="ml-auto text-xs text-slate-500">
              canary {j.canarySize || 'none'} · batch {j.batchSize || 'all'} · {j.concurrency}/node · stop after {j.stopAfterFailures ?? '∞'} failures
            </span>
          </div>
          <div className="h-1.5 w-full bg-slate-100">
            <div className="h-1.5 bg-indigo-500 transition-all" style={{ width: `${j.total ? Math.round((done / j.total) * 100) : 0}%` }} />
          </div>
        </Card>
      )}
      <Card>
        <CardHeader title="Results" subtitle="Click a row for its output." />
        <Table data-testid="bulk-matrix">
          <THead><tr><Th>CTID</Th><Th>Hostname</Th><Th>Node</Th><Th>Batch</Th><Th>State</Th><Th>Exit</Th><Th>Duration</Th><Th>Output (tail)</Th></tr></THead>
          <TBody>
            {job.isPending && <EmptyRow colSpan={8}>Loading…</EmptyRow>}
            {j && j.items.length === 0 && <EmptyRow colSpan={8}>No VEs{filter ? ` ${filter}` : ''}.</EmptyRow>}
            {j?.items.map((i) => {
              const tail = (i.stderrTail || i.stdoutTail || i.error || '').trim().split('\n').pop() ?? '';
              return (
                <Fragment key={i.id}>
                  <tr className="cursor-pointer hover:bg-slate-50" onClick={() => setOpen(open === i.ctid ? null : i.ctid)} data-testid={`bulk-item-${i.ctid}`} data-status={i.status}>
                    <Td className="font-mono">{i.ctid}</Td>
                    <Td className="font-medium text-slate-900">{i.hostname ?? '—'}</Td>
                    <Td>{i.node ?? '—'}</Td>
                    <Td>{i.batch === 0 && j.canarySize ? 'canary' : i.batch}</Td>
                    <Td><Badge tone={statusTone(i.status)} dot>{i.status}</Badge>{i.timedOut && <Badge tone="red" className="ml-1">timed out</Badge>}</Td>
                    <Td className="font-mono">{i.exitCode ?? '—'}</Td>
                    <Td>{duration(i.durationMs)}</Td>
                    <Td className="max-w-md truncate font-mono text-xs text-slate-600" title={tail}>{tail}</Td>
                  </tr>
                  {open === i.ctid && <tr><td colSpan={8} className="p-0"><ItemLog jobId={id} item={i} /></td></tr>}
                </Fragment>
              );
            })}
          </TBody>
        </Table>
        {j && <Pager page={j.page} pageSize={j.pageSize} total={j.matched} onPage={setPage} />}
      </Card>
    </>
  );
}
