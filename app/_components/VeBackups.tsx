'use client';
// Backups and snapshots of one VE in the portal: back up now, restore (typed CTID to confirm), a
// single-use download link, delete; snapshots with rollback. The server enforces scope and plan counts.
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useTRPCClient } from '@/app/_lib/trpc';
import { formatBytes, formatDate } from '@/app/_lib/format';
import { Card, CardBody, CardHeader } from './Card';
import { Button } from './Button';
import { Badge, type Tone } from './Badge';
import { Input } from './Input';
import { ErrorAlert } from './Alert';
import { EmptyRow, TBody, Td, Th, THead, Table } from './Table';

const tone = (s: string): Tone => (s === 'completed' || s === 'ready' ? 'green' : s === 'failed' ? 'red' : 'amber');

export function VeBackups({ veId, ctid, disabled, onTask }: { veId: string; ctid: number; disabled?: boolean; onTask: (taskId: string) => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const backups = useQuery({ ...trpc.portal.backups.list.queryOptions({ veId }), refetchInterval: 5_000 });
  const snapshots = useQuery({ ...trpc.portal.backups.snapshots.queryOptions({ veId }), refetchInterval: 5_000 });
  const [error, setError] = useState<unknown>(null);
  const [restoring, setRestoring] = useState<string | null>(null);
  const [confirm, setConfirm] = useState('');
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: trpc.portal.backups.list.queryKey({ veId }) });
    void qc.invalidateQueries({ queryKey: trpc.portal.backups.snapshots.queryKey({ veId }) });
  };
  const act = async (fn: () => Promise<{ taskId?: string; taskIds?: string[] }>) => {
    setError(null);
    try {
      const r = await fn();
      const t = r.taskId ?? r.taskIds?.[0];
      if (t) onTask(t);
      refresh();
    } catch (e) {
      setError(e);
    }
  };
  const download = async (id: string) => {
    setError(null);
    try {
      const link = await client.portal.backups.downloadLink.mutate({ id });
      window.location.assign(link.url);
    } catch (e) {
      setError(e);
    }
  };
  const b = backups.data;
  const used = b?.items.filter((x) => x.state !== 'failed').length ?? 0;
  return (
    <Card data-testid="ve-backups">
      <CardHeader
        title="Backups"
        subtitle={b ? `${used} of ${b.backupLimit} kept; snapshots: ${snapshots.data?.length ?? 0} of ${b.snapshotLimit}` : undefined}
        actions={
          <div className="flex gap-2">
            <Button size="sm" variant="secondary" disabled={disabled || !b?.snapshotLimit} data-testid="snapshot-create" onClick={() => act(() => client.portal.backups.snapshotCreate.mutate({ veId }))}>Take snapshot</Button>
            <Button size="sm" disabled={disabled || !b?.backupLimit} data-testid="backup-create" onClick={() => act(() => client.portal.backups.create.mutate({ veId }))}>Back up now</Button>
          </div>
        }
      />
      <CardBody className="space-y-4">
        {error ? <ErrorAlert error={error} /> : null}
        {restoring && (
          <div className="flex flex-wrap items-center gap-2 rounded-md bg-amber-50 p-3 text-sm" data-testid="restore-confirm">
            <span>Restoring replaces all data of this server with the backup. Type its CTID <b>{ctid}</b> to confirm:</span>
            <Input className="w-28" value={confirm} onChange={(e) => setConfirm(e.target.value)} data-testid="restore-confirm-input" aria-label="CTID to confirm" />
            <Button size="sm" variant="danger" disabled={confirm.trim() !== String(ctid)} data-testid="restore-confirm-go"
              onClick={() => { const id = restoring; setRestoring(null); setConfirm(''); void act(() => client.portal.backups.restore.mutate({ id, confirm })); }}>Restore</Button>
            <Button size="sm" variant="ghost" onClick={() => { setRestoring(null); setConfirm(''); }}>Cancel</Button>
          </div>
        )}
        <Table data-testid="backup-list">
          <THead><tr><Th>Taken</Th><Th>State</Th><Th>Size</Th><Th>Kind</Th><Th /></tr></THead>
          <TBody>
            {!b?.items.length && <EmptyRow colSpan={5}>{b?.backupLimit === 0 ? 'Your plan includes no backups.' : 'No backups yet.'}</EmptyRow>}
            {b?.items.map((x) => (
              <tr key={x.id} data-testid="backup-row" data-state={x.state}>
                <Td>{formatDate(x.createdAt)}</Td>
                <Td><Badge tone={tone(x.state)}>{x.state}</Badge>{x.error && <span className="ml-2 text-xs text-red-600">{x.error}</span>}</Td>
                <Td>{x.sizeBytes != null ? formatBytes(x.sizeBytes) : '—'}</Td>
                <Td>{x.kind}</Td>
                <Td className="space-x-2 text-right">
                  {x.state === 'completed' && <>
                    <Button size="sm" variant="secondary" disabled={disabled} data-testid="backup-restore" onClick={() => setRestoring(x.id)}>Restore</Button>
                    <Button size="sm" variant="secondary" data-testid="backup-download" onClick={() => download(x.id)}>Download</Button>
                  </>}
                  {(x.state === 'completed' || x.state === 'failed') && <Button size="sm" variant="ghost" data-testid="backup-delete" onClick={() => act(() => client.portal.backups.remove.mutate({ id: x.id }))}>Delete</Button>}
                </Td>
              </tr>
            ))}
          </TBody>
        </Table>
        {!!snapshots.data?.length && (
          <Table data-testid="snapshot-list">
            <THead><tr><Th>Snapshot</Th><Th>State</Th><Th /></tr></THead>
            <TBody>
              {snapshots.data.map((s) => (
                <tr key={s.id} data-testid="snapshot-row" data-state={s.state}>
                  <Td>{s.name || formatDate(s.createdAt)}</Td>
                  <Td><Badge tone={tone(s.state)}>{s.state}</Badge></Td>
                  <Td className="space-x-2 text-right">
                    {s.state === 'ready' && <Button size="sm" variant="secondary" disabled={disabled} onClick={() => act(() => client.portal.backups.snapshotAction.mutate({ id: s.id, action: 'rollback' }))}>Roll back</Button>}
                    {s.state !== 'creating' && <Button size="sm" variant="ghost" onClick={() => act(() => client.portal.backups.snapshotAction.mutate({ id: s.id, action: 'delete' }))}>Delete</Button>}
                  </Td>
                </tr>
              ))}
            </TBody>
          </Table>
        )}
      </CardBody>
    </Card>
  );
}
