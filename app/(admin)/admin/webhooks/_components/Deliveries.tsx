'use client';
import { useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatDate } from '@/app/_lib/format';
import { Card, CardHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { Button } from '@/app/_components/Button';
import { Select } from '@/app/_components/Select';
import { ErrorAlert } from '@/app/_components/Alert';
import { Pager } from '@/app/_components/Pager';
import { CanChange } from '@/app/_components/Can';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

const TONE = { pending: 'amber', succeeded: 'green', failed: 'red' } as const;

/** The delivery log (paged, per endpoint and status), with the last response and a redeliver button. */
export function Deliveries() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [webhookId, setWebhookId] = useState('');
  const [status, setStatus] = useState<'' | 'pending' | 'succeeded' | 'failed'>('');
  const [page, setPage] = useState(1);
  const hooks = useQuery(trpc.webhooks.list.queryOptions());
  const log = useQuery({
    ...trpc.webhooks.deliveries.queryOptions({ webhookId: webhookId || undefined, status: status || undefined, page, pageSize: 25 }),
    placeholderData: keepPreviousData, refetchInterval: 5000,
  });
  const redeliver = useMutation(trpc.webhooks.redeliver.mutationOptions({ onSuccess: () => qc.invalidateQueries({ queryKey: trpc.webhooks.deliveries.queryKey() }) }));
  const urlOf = new Map(hooks.data?.items.map((h) => [h.id, h.url]));
  return (
    <Card>
      <CardHeader title="Delivery log" subtitle="Newest first; refreshes every 5 seconds." actions={<>
        <Select className="w-56" aria-label="Endpoint" value={webhookId} onChange={(e) => { setWebhookId(e.target.value); setPage(1); }}>
          <option value="">All endpoints</option>
          {hooks.data?.items.map((h) => <option key={h.id} value={h.id}>{h.url}</option>)}
        </Select>
        <Select className="w-36" aria-label="Status" value={status} onChange={(e) => { setStatus(e.target.value as typeof status); setPage(1); }}>
          <option value="">Any status</option><option value="pending">pending</option><option value="succeeded">succeeded</option><option value="failed">failed</option>
        </Select>
      </>} />
      <ErrorAlert error={log.error ?? redeliver.error} className="m-4" />
      <Table data-testid="delivery-table">
        <THead><tr><Th>Created</Th><Th>Event</Th><Th>Endpoint</Th><Th>Status</Th><Th>Attempts</Th><Th>Response</Th><Th>Delivered</Th><Th /></tr></THead>
        <TBody>
          {log.isPending && <EmptyRow colSpan={8}>Loading…</EmptyRow>}
          {log.data?.total === 0 && <EmptyRow colSpan={8}>No deliveries yet.</EmptyRow>}
          {log.data?.items.map((d) => (
            <tr key={d.id} data-testid="delivery-row" data-status={d.status}>
              <Td className="text-slate-500">{formatDate(d.createdAt)}</Td>
              <Td className="font-mono text-xs">{d.event}</Td>
              <Td className="max-w-48 truncate font-mono text-xs">{urlOf.get(d.webhookId) ?? d.webhookId}</Td>
              <Td><Badge tone={TONE[d.status]}>{d.status}</Badge></Td>
              <Td>{d.attempts}</Td>
              <Td className="max-w-64 truncate text-xs" title={d.responseBody ?? d.error ?? undefined} data-testid="delivery-response">
                {d.responseStatus !== null ? `HTTP ${d.responseStatus}` : ''}{d.responseBody ? ` · ${d.responseBody}` : ''}{d.error && d.status !== 'succeeded' ? ` · ${d.error}` : ''}
              </Td>
              <Td className="text-slate-500">{d.deliveredAt ? formatDate(d.deliveredAt) : d.nextAttemptAt ? `next ${formatDate(d.nextAttemptAt)}` : '—'}</Td>
              <Td className="text-right"><CanChange>
                <Button size="sm" variant="secondary" data-testid="delivery-redeliver" loading={redeliver.isPending && redeliver.variables?.id === d.id} onClick={() => redeliver.mutate({ id: d.id })}>Redeliver</Button>
              </CanChange></Td>
            </tr>
          ))}
        </TBody>
      </Table>
      {log.data && <Pager page={log.data.page} pageSize={log.data.pageSize} total={log.data.total} onPage={setPage} />}
    </Card>
  );
}
