'use client';
// OpenVZ hosts to import from: add one (its host key read, shown and confirmed; the import key to
// install there shown), list, remove.
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Field } from '@/app/_components/Input';
import { Button } from '@/app/_components/Button';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

type Probe = RouterOutputs['imports']['probeSource'];

export function ImportSources() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.imports.sources.queryOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.imports.sources.queryKey() });
  const [form, setForm] = useState({ name: '', host: '', port: '22', user: 'root', confDir: '/etc/vz/conf' });
  const [probe, setProbe] = useState<Probe | null>(null);
  const [confirmRemove, setConfirmRemove] = useState<string | null>(null);
  const read = useMutation(trpc.imports.probeSource.mutationOptions({ onSuccess: setProbe }));
  const add = useMutation(trpc.imports.addSource.mutationOptions({ onSuccess: () => { setProbe(null); setForm({ ...form, name: '', host: '' }); void refresh(); } }));
  const remove = useMutation(trpc.imports.removeSource.mutationOptions({ onSuccess: () => { setConfirmRemove(null); void refresh(); } }));
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => { setForm({ ...form, [k]: e.target.value }); setProbe(null); };

  return (
    <Card className="mb-6">
      <CardHeader title="OpenVZ hosts" subtitle="Servers running OpenVZ 6 or 7 whose VEs you bring over. The node that will run a VE reads it over SSH." />
      <CardBody className="space-y-4">
        <ErrorAlert error={list.error ?? remove.error} />
        <Table>
          <THead><tr><Th>Name</Th><Th>Address</Th><Th>User</Th><Th>Conf folder</Th><Th>Host key</Th><Th /></tr></THead>
          <TBody>
            {list.isLoading && <EmptyRow colSpan={6}>Loading…</EmptyRow>}
            {list.data?.length === 0 && <EmptyRow colSpan={6}>No OpenVZ host yet: add one below.</EmptyRow>}
            {list.data?.map((s) => (
              <tr key={s.id} data-testid={`source-${s.name}`}>
                <Td className="font-medium text-slate-900">{s.name}</Td>
                <Td className="font-mono">{s.host}:{s.port}</Td>
                <Td>{s.user}</Td>
                <Td className="font-mono">{s.confDir}</Td>
                <Td className="font-mono text-xs">{s.hostKeyFingerprint}</Td>
                <Td className="text-right whitespace-nowrap">
                  {confirmRemove === s.id
                    ? <><Button size="sm" variant="danger" loading={remove.isPending} onClick={() => remove.mutate({ id: s.id })}>Remove {s.name}</Button> <Button size="sm" variant="secondary" onClick={() => setConfirmRemove(null)}>Keep</Button></>
                    : <Button size="sm" variant="secondary" onClick={() => setConfirmRemove(s.id)}>Remove</Button>}
                </Td>
              </tr>
            ))}
          </TBody>
        </Table>
        <form className="grid grid-cols-1 gap-3 sm:grid-cols-5" onSubmit={(e) => { e.preventDefault(); read.mutate({ host: form.host, port: Number(form.port) }); }}>
          <Field label="Name" value={form.name} onChange={set('name')} placeholder="ovz-old-1" required data-testid="source-name" />
          <Field label="Address" value={form.host} onChange={set('host')} placeholder="192.0.2.10" required data-testid="source-host" />
          <Field label="SSH port" value={form.port} onChange={set('port')} inputMode="numeric" required data-testid="source-port" />
          <Field label="User" value={form.user} onChange={set('user')} hint="root reads every VE's files" required data-testid="source-user" />
          <Field label="Conf folder" value={form.confDir} onChange={set('confDir')} required data-testid="source-confdir" />
          <div className="sm:col-span-5"><Button type="submit" variant="secondary" loading={read.isPending} data-testid="source-read-key">Read its host key</Button></div>
        </form>
        <ErrorAlert error={read.error ?? add.error} />
        {probe && (
          <Alert tone="warning" title="Is this the host you mean?" data-testid="source-confirm">
            <p>It presents the SSH host key <code className="font-mono" data-testid="source-fingerprint">{probe.fingerprint}</code>. Compare it with <code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code> on that host.</p>
            <p className="mt-2">Then add this line to <code>~{form.user}/.ssh/authorized_keys</code> there (the panel hands it to a node only for an import):</p>
            <pre className="mt-1 overflow-x-auto rounded bg-white p-2 text-xs" data-testid="source-import-key">{probe.importKey}</pre>
            <Button className="mt-3" loading={add.isPending} data-testid="source-trust"
              onClick={() => add.mutate({ name: form.name, host: form.host, port: Number(form.port), user: form.user, confDir: form.confDir, hostKeyFingerprint: probe.fingerprint })}>
              Trust this key and add the host
            </Button>
          </Alert>
        )}
      </CardBody>
    </Card>
  );
}
