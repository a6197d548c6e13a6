'use client';
import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatDate } from '@/app/_lib/format';
import { Card, CardHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { ErrorAlert } from '@/app/_components/Alert';
import { Pager } from '@/app/_components/Pager';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

const TONE = { success: 'green', failure: 'red', denied: 'amber' } as const;

/** A customer's view of what was done to their VE (audit.veHistory): by you, an administrator, billing or the system. */
export function VeHistory({ veId }: { veId: string }) {
  const trpc = useTRPC();
  const [page, setPage] = useState(1);
  const h = useQuery({ ...trpc.audit.veHistory.queryOptions({ veId, page, pageSize: 20 }), placeholderData: keepPreviousData });
  return (
    <Card data-testid="ve-history">
      <CardHeader title="History" subtitle="Every change to this server, newest first." />
      <ErrorAlert error={h.error} className="m-4" />
      <Table>
        <THead><tr><Th>When</Th><Th>Action</Th><Th>By</Th><Th>Result</Th><Th>From</Th></tr></THead>
        <TBody>
          {h.isPending && <EmptyRow colSpan={5}>Loading…</EmptyRow>}
          {h.data?.total === 0 && <EmptyRow colSpan={5}>Nothing yet.</EmptyRow>}
          {h.data?.items.map((r) => (
            <tr key={r.id}>
              <Td className="text-slate-500">{formatDate(r.createdAt)}</Td>
              <Td className="font-mono text-xs">{r.action}</Td>
              <Td>{r.by}</Td>
              <Td><Badge tone={TONE[r.outcome]}>{r.outcome}</Badge></Td>
              <Td className="text-xs text-slate-500">{r.ip ?? '—'}</Td>
            </tr>
          ))}
        </TBody>
      </Table>
      {h.data && <Pager page={h.data.page} pageSize={h.data.pageSize} total={h.data.total} onPage={setPage} />}
    </Card>
  );
}
