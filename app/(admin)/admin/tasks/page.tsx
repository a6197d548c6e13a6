'use client';
// Every task with live progress bars; click one to follow its log.
import Link from 'next/link';
import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatAgo } from '@/app/_lib/format';
import { Card, PageHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { Input } from '@/app/_components/Input';
import { Select } from '@/app/_components/Select';
import { Pager } from '@/app/_components/Pager';
import { ErrorAlert } from '@/app/_components/Alert';
import { ProgressBar, TaskProgress, taskActor, taskTone } from '@/app/_components/TaskProgress';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export default function TasksPage() {
  const trpc = useTRPC();
  const [status, setStatus] = useState<(typeof STATUSES)[number] | ''>('');
  const [type, setType] = useState('');
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const tasks = useQuery({
    ...trpc.tasks.list.queryOptions({ status: status ? [status] : undefined, type: type.trim() || undefined, page, pageSize: 50 }),
    placeholderData: keepPreviousData,
    // Live while anything is moving; calm otherwise.
    refetchInterval: (q) => (q.state.data?.items.some((t) => t.status === 'running' || t.status === 'queued') ? 1_000 : 5_000),
  });
  return (
    <>
      <PageHeader title="Tasks" description="Every node action is a task; running ones update every second." />
      {open && <div className="mb-6"><TaskProgress taskId={open} /></div>}
      <Card>
        <div className="flex flex-wrap gap-3 border-b border-slate-200 p-4">
          <Select className="w-40" aria-label="Status" value={status} onChange={(e) => { setStatus(e.target.value as typeof status); setPage(1); }}>
            <option value="">All statuses</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </Select>
          <Input className="max-w-xs" placeholder='Type, e.g. "ve.create" or "ve."' value={type} onChange={(e) => { setType(e.target.value); setPage(1); }} aria-label="Type" />
        </div>
        <ErrorAlert error={tasks.error} className="m-4" />
        <Table>
          <THead><tr><Th>Type</Th><Th>VE</Th><Th>Node</Th><Th>Status</Th><Th className="w-56">Progress</Th><Th>Message</Th><Th>By</Th><Th>Created</Th></tr></THead>
          <TBody>
            {tasks.data?.total === 0 && <EmptyRow colSpan={8}>No tasks.</EmptyRow>}
            {tasks.data?.items.map((t) => (
              <tr key={t.id} className="cursor-pointer hover:bg-slate-50" onClick={() => setOpen(t.id)} data-testid={`tasks-row-${t.id}`}>
                <Td className="font-mono text-xs">{t.type}</Td>
                <Td>{t.veId ? <Link className="text-indigo-600 hover:underline" href={`/admin/ves/${t.veId}`} onClick={(e) => e.stopPropagation()}>{t.ctid}</Link> : t.ctid ?? '—'}</Td>
                <Td>{t.nodeName ?? '—'}</Td>
                <Td><Badge tone={taskTone(t.status)}>{t.status}</Badge></Td>
                <Td><div className="flex items-center gap-2"><ProgressBar value={t.progress} status={t.status} /><span className="w-9 text-right text-xs tabular-nums">{t.progress}%</span></div></Td>
                <Td className="max-w-xs truncate text-slate-500">{t.error ?? t.message ?? ''}</Td>
                <Td className="text-slate-500">{taskActor(t)}</Td>
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
