'use client';
// The exact VE set a bulk job would act on (bulk.preview), with per-node counts and skip reasons.
import type { RouterOutputs } from '@/app/_lib/trpc';
import { Badge } from '@/app/_components/Badge';
import { Alert } from '@/app/_components/Alert';
import { VeStateBadge } from '@/app/_components/VeStateBadge';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

type Preview = RouterOutputs['bulk']['preview'];

export function PreviewTable({ data, stale }: { data: Preview; stale: boolean }) {
  return (
    <div data-testid="bulk-preview">
      <div className="flex flex-wrap items-center gap-3 px-5 py-3 text-sm">
        <span className="font-semibold text-slate-900" data-testid="bulk-preview-total">{data.total} VEs</span>
        {data.willSkip > 0 && <Badge tone="amber">{data.willSkip} will be skipped</Badge>}
        {data.byNode.map((n) => <Badge key={n.nodeId} tone="slate">{n.node}: {n.count}</Badge>)}
      </div>
      {stale && <Alert tone="warning" className="mx-5 mb-3">The form changed since this preview: preview again before starting.</Alert>}
      <div className="max-h-96 overflow-y-auto border-t border-slate-200">
        <Table>
          <THead><tr><Th>CTID</Th><Th>Hostname</Th><Th>State</Th><Th>Node</Th><Th>Template</Th><Th>Customer</Th><Th>Note</Th></tr></THead>
          <TBody>
            {data.items.length === 0 && <EmptyRow colSpan={7}>No VE matches this selection.</EmptyRow>}
            {data.items.map((v) => (
              <tr key={v.id} data-testid={`bulk-preview-row-${v.ctid}`}>
                <Td className="font-mono">{v.ctid}</Td>
                <Td className="font-medium text-slate-900">{v.hostname}</Td>
                <Td><VeStateBadge state={v.state} /></Td>
                <Td>{v.node}</Td>
                <Td>{v.template}</Td>
                <Td className="text-slate-600">{v.owner ?? '—'}</Td>
                <Td>{v.skip ? <Badge tone="amber">skip: {v.skip}</Badge> : ''}</Td>
              </tr>
            ))}
          </TBody>
        </Table>
      </div>
      {data.truncated && <p className="px-5 py-2 text-xs text-slate-500">Showing the first {data.items.length} of {data.total}.</p>}
    </div>
  );
}
