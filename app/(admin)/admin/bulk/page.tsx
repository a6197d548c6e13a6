'use client';
// /admin/bulk: recent bulk jobs (there is no bulk.list: each job runs as one "bulk.run" task whose params name the job).
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { useRouter } from 'next/navigation';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatAgo } from '@/app/_lib/format';
import { Card, PageHeader } from '@/app/_components/Card';
import { CanChange } from '@/app/_components/Can';
import { Button } from '@/app/_components/Button';
import { Input } from '@/app/_components/Input';
import { Pager } from '@/app/_components/Pager';
import { ErrorAlert } from '@/app/_components/Alert';
import { ProgressBar, taskActor, taskTone } from '@/app/_components/TaskProgress';
import { Badge } from '@/app/_components/Badge';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

/** The job id lives in the task's params; one small lookup per row. */
function JobLink({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const t = useQuery({ ...trpc.tasks.get.queryOptions({ id: taskId }), staleTime: Infinity });
  const jobId = (t.data?.params as { bulkJobId?: unknown } | undefined)?.bulkJobId;
  if (typeof jobId !== 'string') return <span className="text-slate-400">…</span>;
  return <Link href={`/admin/bulk/${jobId}`} className="font-mono text-indigo-600 hover:underline" data-testid="bulk-job-link">{jobId.slice(0, 8)}</Link>;
}

export default function BulkJobsPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const [page, setPage] = useState(1);
  const [jump, setJump] = useState('');
  const tasks = useQuery({
    ...trpc.tasks.list.queryOptions({ type: 'bulk.run', page, pageSize: 25 }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((t) => t.status === 'running' || t.status === 'queued') ? 1_000 : 5_000),
  });
  const open = (e: FormEvent) => { e.preventDefault(); if (jump.trim()) router.push(`/admin/bulk/${encodeURIComponent(jump.trim())}`); };
  return (
    <>
      <PageHeader title="Bulk jobs" description="Scripts, package updates, power and limit changes across many VEs, rolled out in batches."
        actions={<CanChange><Link href="/admin/bulk/new"><Button data-testid="bulk-new">New bulk job</Button></Link></CanChange>} />
      <Card>
        <form onSubmit={open} className="flex gap-2 border-b border-slate-200 p-4">
          <Input className="max-w-sm" placeholder="Open a job by id…" value={jump} onChange={(e) => setJump(e.target.value)} aria-label="Job id" />
          <Button type="submit" variant="secondary">Open</Button>
        </form>
        <ErrorAlert error={tasks.error} className="m-4" />
        <Table data-testid="bulk-jobs">
          <THead><tr><Th>Job</Th><Th>Status</Th><Th className="w-64">Progress</Th><Th>Message</Th><Th>By</Th><Th>Created</Th></tr></THead>
          <TBody>
            {tasks.isPending && <EmptyRow colSpan={6}>Loading…</EmptyRow>}
            {tasks.data?.total === 0 && <EmptyRow colSpan={6}>No bulk jobs yet.</EmptyRow>}
            {tasks.data?.items.map((t) => (
              <tr key={t.id} className="hover:bg-slate-50">
                <Td><JobLink taskId={t.id} /></Td>
                <Td><Badge tone={taskTone(t.status)} dot>{t.status}</Badge></Td>
                <Td><ProgressBar value={t.progress} status={t.status} /></Td>
                <Td className="max-w-md truncate text-slate-600" title={t.error ?? t.message ?? ''}>{t.error ?? t.message ?? '—'}</Td>
                <Td className="text-slate-600">{taskActor(t)}</Td>
                <Td className="text-slate-500">{formatAgo(t.createdAt)}</Td>
              </tr>
            ))}
          </TBody>
        </Table>
        {tasks.data && <Pager page={tasks.data.page} pageSize={tasks.data.pageSize} total={tasks.data.total} onPage={setPage} />}
      </Card>
    </>
  );
}
