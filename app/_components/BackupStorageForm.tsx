'use client';
// Add a backup storage: a local path, or sftp whose host key is read first and trusted only once the
// admin confirms its fingerprint (like adding a node). The panel's login key is shown to authorise.
import { useState } from 'react';
import { useTRPCClient } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from './Card';
import { Button } from './Button';
import { Field } from './Input';
import { SelectField } from './Select';
import { Alert, ErrorAlert } from './Alert';

export function BackupStorageForm({ onAdded }: { onAdded: (taskId: string) => void }) {
  const client = useTRPCClient();
  const [f, setF] = useState({ name: '', kind: 'local' as 'local' | 'sftp', path: '', host: '', port: '22', user: 'root' });
  const [fingerprint, setFingerprint] = useState<string | null>(null);
  const [publicKey, setPublicKey] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => { setF({ ...f, [k]: e.target.value }); if (k === 'host' || k === 'port') setFingerprint(null); };
  const probe = async () => {
    setError(null);
    try { setFingerprint((await client.backups.storageProbe.mutate({ host: f.host, port: Number(f.port) })).fingerprint); } catch (e) { setError(e); }
  };
  const add = async () => {
    setError(null);
    try {
      const sftp = f.kind === 'sftp' ? { host: f.host, port: Number(f.port), user: f.user, hostKeyFingerprint: fingerprint ?? undefined } : {};
      const r = await client.backups.storageAdd.mutate({ name: f.name, kind: f.kind, path: f.path, ...sftp });
      setPublicKey(r.sshPublicKey);
      onAdded(r.taskId);
    } catch (e) { setError(e); }
  };
  return (
    <Card>
      <CardHeader title="Add backup storage" subtitle="A restic repository: a folder on the node, or sftp on another machine." />
      <CardBody className="space-y-3">
        {error ? <ErrorAlert error={error} /> : null}
        <div className="grid gap-3 sm:grid-cols-3">
          <Field label="Name" value={f.name} onChange={set('name')} data-testid="storage-name" />
          <SelectField label="Kind" value={f.kind} onChange={set('kind')} data-testid="storage-kind"><option value="local">local path</option><option value="sftp">sftp</option></SelectField>
          <Field label="Repository path" value={f.path} onChange={set('path')} data-testid="storage-path" />
        </div>
        {f.kind === 'sftp' && (
          <div className="grid gap-3 sm:grid-cols-3">
            <Field label="Host" value={f.host} onChange={set('host')} />
            <Field label="Port" value={f.port} onChange={set('port')} />
            <Field label="User" value={f.user} onChange={set('user')} />
          </div>
        )}
        {f.kind === 'sftp' && fingerprint && <Alert tone="warning" title="Confirm the host key">The storage presents <span className="font-mono">{fingerprint}</span>. Compare it with the host&apos;s own before adding.</Alert>}
        {publicKey && <Alert tone="info" title="Authorise the panel's key">Add this line to the storage user&apos;s authorized_keys, then check the storage: <span className="break-all font-mono">{publicKey}</span></Alert>}
        <div className="flex gap-2">
          {f.kind === 'sftp' && <Button variant="secondary" onClick={probe} disabled={!f.host}>Read host key</Button>}
          <Button onClick={add} disabled={!f.name || !f.path || (f.kind === 'sftp' && !fingerprint)} data-testid="storage-add">{f.kind === 'sftp' ? 'Trust key and add' : 'Add'}</Button>
        </div>
      </CardBody>
    </Card>
  );
}
