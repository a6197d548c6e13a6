'use client';
// Backups (admin): storages with their checks, every backup with restore and drill, and the restore drill.
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useTRPCClient } from '@/app/_lib/trpc';
import { formatBytes, formatDate } from '@/app/_lib/format';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { useCanChange } from '@/app/_components/Can';
import { Badge, type Tone } from '@/app/_components/Badge';
import { ErrorAlert } from '@/app/_components/Alert';
import { TaskProgress } from '@/app/_components/TaskProgress';
import { EmptyRow, TBody, Td, Th, THead, Table } from '@/app/_components/Table';
import { BackupStorageForm } from '@/app/_components/BackupStorageForm';
import { BackupSchedules } from '@/app/_components/BackupSchedules';

const tone = (s: string): Tone => (s === 'completed' || s === 'ok' ? 'green' : s === 'failed' ? 'red' : 'amber');

export default function BackupsPage() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const storages = useQuery({ ...trpc.backups.storages.queryOptions(), refetchInterval: 5_000 });
  const backups = useQuery({ ...trpc.backups.list.queryOptions({ pageSize: 100 }), refetchInterval: 5_000 });
  const [task, setTask] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const refresh = () => { void qc.invalidateQueries({ queryKey: trpc.backups.storages.queryKey() }); void qc.invalidateQueries({ queryKey: trpc.backups.list.queryKey() }); };
  const act = async (fn: () => Promise<{ taskId?: string; taskIds?: string[] }>) => {
    setError(null);
    try { const r = await fn(); setTask(r.taskId ?? r.taskIds?.[0] ?? null); refresh(); } catch (e) { setError(e); }
  };
  const canChange = useCanChange();
  const restore = (id: string, ctid: number) => {
    const typed = window.prompt(`Restoring replaces all data of VE ${ctid}. Type ${ctid} to confirm.`);
    if (typed) void act(() => client.backups.restore.mutate({ id, confirm: typed }));
  };
  return (
    <>
      <PageHeader title="Backups" description="Storages, backups of every VE, restores and restore drills."
        actions={canChange && <Button variant="secondary" onClick={() => act(() => client.backups.drill.mutate({}))} data-testid="drill-run">Run restore drill</Button>} />
      {error ? <ErrorAlert error={error} className="mb-6" /> : null}
      {task && <div className="mb-6"><TaskProgress taskId={task} onDone={refresh} /></div>}
      <div className="space-y-6">
        <Card>
          <CardHeader title="Storages" />
          <CardBody>
            <Table data-testid="storage-list">
              <THead><tr><Th>Name</Th><Th>Where</Th><Th>Host key</Th><Th>State</Th><Th>Backups</Th><Th /></tr></THead>
              <TBody>
                {!storages.data?.length && <EmptyRow colSpan={6}>No backup storage yet.</EmptyRow>}
                {storages.data?.map((s) => (
                  <tr key={s.id} data-testid={`storage-row-${s.name}`}>
                    <Td>{s.name}</Td>
                    <Td className="font-mono">{s.kind === 'sftp' ? `${s.user}@${s.host}:${s.port}:${s.path}` : s.path}</Td>
                    <Td className="font-mono text-xs">{s.hostKeyFingerprint ?? '—'}</Td>
                    <Td><Badge tone={tone(s.state)}>{s.state}</Badge>{s.lastCheckError && <div className="max-w-xs truncate text-xs text-red-600" title={s.lastCheckError}>{s.lastCheckError}</div>}</Td>
                    <Td>{s.backups}</Td>
                    <Td className="space-x-2 text-right">
                      {canChange && <>
                      <Button size="sm" variant="secondary" onClick={() => act(() => client.backups.storageCheck.mutate({ id: s.id }))}>Check</Button>
                      <Button size="sm" variant="ghost" disabled={s.backups > 0} onClick={() => act(async () => { await client.backups.storageRemove.mutate({ id: s.id }); return {}; })}>Remove</Button>
                      </>}
                    </Td>
                  </tr>
                ))}
              </TBody>
            </Table>
          </CardBody>
        </Card>
        {canChange && <BackupStorageForm onAdded={(t) => { setTask(t); refresh(); }} />}
        {canChange && <BackupSchedules />}
        <Card>
          <CardHeader title="All backups" subtitle={backups.data ? `${backups.data.total} in all` : undefined} />
          <CardBody>
            <Table data-testid="admin-backup-list">
              <THead><tr><Th>VE</Th><Th>Storage</Th><Th>State</Th><Th>Size / added</Th><Th>Pause</Th><Th>Verified</Th><Th>Taken</Th><Th /></tr></THead>
              <TBody>
                {!backups.data?.items.length && <EmptyRow colSpan={8}>No backups yet.</EmptyRow>}
                {backups.data?.items.map((b) => (
                  <tr key={b.id}>
                    <Td>{b.ctid} <span className="text-slate-500">{b.hostname}</span></Td>
                    <Td>{b.storage.name}</Td>
                    <Td><Badge tone={tone(b.state)}>{b.state}</Badge> <span className="text-xs text-slate-500">{b.kind}</span>{b.error && <div className="max-w-xs truncate text-xs text-red-600" title={b.error}>{b.error}</div>}</Td>
                    <Td>{formatBytes(b.sizeBytes)} / {formatBytes(b.addedBytes)}</Td>
                    <Td>{b.pauseMs != null ? `${b.pauseMs} ms` : '—'}</Td>
                    <Td>{b.verifyError ? <Badge tone="red">{b.verifyError}</Badge> : b.verifiedAt ? formatDate(b.verifiedAt) : '—'}</Td>
                    <Td>{formatDate(b.createdAt)}</Td>
                    <Td className="space-x-2 text-right">
                      {canChange && b.state === 'completed' && b.veId && <Button size="sm" variant="secondary" onClick={() => restore(b.id, b.ctid)}>Restore</Button>}
                      {canChange && b.state === 'completed' && <Button size="sm" variant="secondary" onClick={() => act(() => client.backups.drill.mutate({ id: b.id }))}>Drill</Button>}
                      {canChange && (b.state === 'completed' || b.state === 'failed') && <Button size="sm" variant="ghost" onClick={() => act(() => client.backups.forget.mutate({ ids: [b.id] }))}>Delete</Button>}
                    </Td>
                  </tr>
                ))}
              </TBody>
            </Table>
          </CardBody>
        </Card>
      </div>
    </>
  );
}
