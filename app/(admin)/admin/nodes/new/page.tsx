'use client';
// Add a node in three steps: where and how to log in once; the host key's fingerprint, which the
// admin compares out of band and confirms; then the bootstrap task's phases until the node is online.
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { SelectField } from '@/app/_components/Select';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { BootstrapPhases } from '../_components/BootstrapPhases';

type Probe = RouterOutputs['nodes']['probeHostKey'];
const EMPTY = { name: '', address: '', sshPort: '22', sshUser: 'root', auth: 'password' as 'password' | 'key', secret: '', nodeGroupId: '' };

export default function AddNodePage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [f, setF] = useState(EMPTY);
  const [probe, setProbe] = useState<Probe | null>(null);
  const [added, setAdded] = useState<{ taskId: string; name: string } | null>(null);
  const groups = useQuery(trpc.nodeGroups.list.queryOptions());
  const probeM = useMutation(trpc.nodes.probeHostKey.mutationOptions({ onSuccess: setProbe }));
  const add = useMutation(trpc.nodes.add.mutationOptions({
    onSuccess: (r) => { setAdded({ taskId: r.taskId, name: f.name }); setF((x) => ({ ...x, secret: '' })); },
  }));
  const set = (k: keyof typeof EMPTY) => (e: { target: { value: string } }) => { setF({ ...f, [k]: e.target.value }); if (k === 'address' || k === 'sshPort') setProbe(null); };
  const fetchKey = (e: FormEvent) => { e.preventDefault(); add.reset(); probeM.mutate({ address: f.address.trim(), sshPort: Number(f.sshPort) }); };
  const confirm = () => add.mutate({
    name: f.name.trim(), address: f.address.trim(), sshPort: Number(f.sshPort), sshUser: f.sshUser.trim() || undefined,
    hostKeyFingerprint: probe!.fingerprint, nodeGroupId: f.nodeGroupId || null,
    credential: f.auth === 'password' ? { password: f.secret } : { privateKey: f.secret },
  });
  const locked = !!probe || probeM.isPending;
  return (
    <>
      <div className="mb-2 text-sm"><Link href="/admin/nodes" className="text-slate-500 hover:text-slate-700">← Nodes</Link></div>
      <PageHeader title="Add node" description="The panel logs in once with this credential, installs its agent, and from then on uses only its own restricted key." />
      <div className="space-y-6">
        <Card>
          <CardHeader title="1. Where the node is" subtitle="The credential is used once by the bootstrap and erased when it ends; it is never shown again." />
          <CardBody>
            <form onSubmit={fetchKey} className="grid gap-4 md:grid-cols-3">
              <Field label="Name" required value={f.name} onChange={set('name')} disabled={!!added} hint="lower-case letters, digits, dots and dashes" data-testid="node-name" />
              <Field label="Address" required value={f.address} onChange={set('address')} disabled={locked || !!added} hint="host name or IP" data-testid="node-address" />
              <Field label="SSH port" type="number" min={1} max={65535} required value={f.sshPort} onChange={set('sshPort')} disabled={locked || !!added} data-testid="node-port" />
              <Field label="User" value={f.sshUser} onChange={set('sshUser')} disabled={!!added} hint="root, or another uid-0 account" data-testid="node-user" />
              <SelectField label="Credential" value={f.auth} onChange={(e) => setF({ ...f, auth: e.target.value as 'password' | 'key', secret: '' })} disabled={!!added} data-testid="node-auth">
                <option value="password">One-time password</option>
                <option value="key">Private key (OpenSSH)</option>
              </SelectField>
              <SelectField label="Node group" value={f.nodeGroupId} onChange={set('nodeGroupId')} disabled={!!added} hint={groups.error ? 'groups could not be loaded' : undefined}>
                <option value="">No group</option>
                {groups.data?.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
              </SelectField>
              <div className="md:col-span-3">
                {f.auth === 'password'
                  ? <Field label="Password" type="password" autoComplete="off" required value={f.secret} onChange={set('secret')} disabled={!!added} data-testid="node-secret" />
                  : (
                    <label className="block text-sm font-medium text-slate-700">Private key
                      <textarea required rows={5} value={f.secret} onChange={set('secret')} disabled={!!added} spellCheck={false} data-testid="node-secret"
                        placeholder="-----BEGIN OPENSSH PRIVATE KEY-----" className="mt-1.5 block w-full rounded-md border-0 px-3 py-2 font-mono text-xs ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600" />
                    </label>
                  )}
              </div>
              <div className="flex items-center gap-2 md:col-span-3">
                {!probe && <Button type="submit" loading={probeM.isPending} data-testid="fetch-host-key">Fetch host key</Button>}
                {probe && !added && <Button type="button" variant="secondary" onClick={() => setProbe(null)}>Change address</Button>}
              </div>
            </form>
            <ErrorAlert error={probeM.error} title={probeM.error ? 'Unreachable' : undefined} className="mt-4" />
          </CardBody>
        </Card>

        {probe && (
          <Card data-testid="host-key-step">
            <CardHeader title="2. Confirm the host key" subtitle="Compare it with the node's own: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on its console." />
            <CardBody className="space-y-3">
              <dl className="grid gap-3 sm:grid-cols-3">
                <div><dt className="text-xs font-medium uppercase text-slate-500">Type</dt><dd className="font-mono text-sm">{probe.type}</dd></div>
                <div className="sm:col-span-2"><dt className="text-xs font-medium uppercase text-slate-500">SHA256 fingerprint</dt>
                  <dd className="select-all break-all font-mono text-sm text-slate-900" data-testid="host-key-fingerprint">{probe.fingerprint}</dd></div>
              </dl>
              <p className="text-xs text-slate-500">Answered in {probe.roundTripMs} ms. Nothing was sent to the node yet.</p>
              {!added && (
                <div className="flex gap-2">
                  <Button onClick={confirm} loading={add.isPending} data-testid="confirm-host-key">The fingerprint matches: trust it and add the node</Button>
                  <Button variant="secondary" onClick={() => setProbe(null)}>It does not match</Button>
                </div>
              )}
              <ErrorAlert error={add.error} />
            </CardBody>
          </Card>
        )}

        {added && (
          <Card>
            <CardHeader title={`3. Bootstrap of ${added.name}`} subtitle="Live phases of the node.bootstrap task." />
            <CardBody>
              <BootstrapPhases taskId={added.taskId} onDone={() => void qc.invalidateQueries({ queryKey: trpc.nodes.page.queryKey() })} />
              <div className="mt-4 flex gap-2">
                <Link href={`/admin/nodes/${encodeURIComponent(added.name)}`}><Button variant="secondary" data-testid="open-node">Open the node</Button></Link>
                <Button variant="ghost" onClick={() => { setAdded(null); setProbe(null); add.reset(); }}>Try again / add another</Button>
              </div>
            </CardBody>
          </Card>
        )}
        {!probe && !added && <Alert tone="info">The node needs Debian 11+ or Ubuntu 22.04+, Node.js 20+, cgroup memory/pids/cpu controllers and user namespaces; missing packages are installed by apt.</Alert>}
      </div>
    </>
  );
}
