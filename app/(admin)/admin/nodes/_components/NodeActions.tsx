'use client';
// Node page actions that need no long task: maintenance with a reason, re-pinning a changed host
// key (old and new fingerprints side by side), and removal (refused while VEs remain).
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { Badge } from '@/app/_components/Badge';
import { ConfirmAction } from './Confirm';

export type NodeView = RouterOutputs['nodes']['get'];

function useRefresh(name: string) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return () => qc.invalidateQueries({ queryKey: trpc.nodes.get.queryKey({ name }) });
}

export function MaintenanceCard({ node }: { node: NodeView }) {
  const trpc = useTRPC();
  const refresh = useRefresh(node.name);
  const [reason, setReason] = useState('');
  const m = useMutation(trpc.nodes.setMaintenance.mutationOptions({ onSuccess: () => { setReason(''); return refresh(); } }));
  return (
    <Card data-testid="maintenance-card">
      <CardHeader title="Maintenance" subtitle="While on, placement skips the node and customers cannot act on its VEs; admins still can." />
      <CardBody className="space-y-3">
        {node.maintenance ? (
          <>
            <Alert tone="warning" title="In maintenance" data-testid="maintenance-on">{node.maintenanceReason ?? 'No reason given.'}</Alert>
            <Button variant="secondary" loading={m.isPending} onClick={() => m.mutate({ nodeId: node.id, maintenance: false })} data-testid="maintenance-off">End maintenance</Button>
          </>
        ) : (
          <form className="flex flex-wrap items-end gap-3" onSubmit={(e) => { e.preventDefault(); m.mutate({ nodeId: node.id, maintenance: true, reason: reason.trim() || null }); }}>
            <div className="min-w-64 flex-1"><Field label="Reason" placeholder="e.g. RAM replacement, ticket 4711" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} data-testid="maintenance-reason" /></div>
            <Button type="submit" variant="secondary" loading={m.isPending} data-testid="maintenance-start">Start maintenance</Button>
          </form>
        )}
        <ErrorAlert error={m.error} />
      </CardBody>
    </Card>
  );
}

export function HostKeyCard({ node }: { node: NodeView }) {
  const trpc = useTRPC();
  const refresh = useRefresh(node.name);
  const probe = useMutation(trpc.nodes.probeHostKey.mutationOptions());
  const repin = useMutation(trpc.nodes.clearHostKeyMismatch.mutationOptions({ onSuccess: () => { probe.reset(); return refresh(); } }));
  if (node.transport !== 'ssh') return null;
  const fresh = probe.data;
  const same = fresh && fresh.fingerprint === node.hostKeyFingerprint;
  return (
    <Card data-testid="host-key-card">
      <CardHeader title="SSH host key" subtitle="Connections are refused when the node presents any other key."
        actions={node.hostKeyMismatch ? <Badge tone="red">changed: connections refused</Badge> : <Badge tone="green">pinned</Badge>} />
      <CardBody className="space-y-3">
        <div className="grid gap-3 md:grid-cols-2">
          <div><p className="text-xs font-medium uppercase text-slate-500">Pinned</p><p className="break-all font-mono text-sm" data-testid="pinned-fingerprint">{node.hostKeyFingerprint ?? '—'}</p></div>
          {fresh && <div><p className="text-xs font-medium uppercase text-slate-500">Presented now ({fresh.type})</p>
            <p className={`break-all font-mono text-sm ${same ? '' : 'text-red-700'}`} data-testid="presented-fingerprint">{fresh.fingerprint}</p></div>}
        </div>
        {!fresh && <Button variant="secondary" loading={probe.isPending} onClick={() => probe.mutate({ address: node.address, sshPort: node.sshPort })} data-testid="probe-host-key">Check the key the node presents</Button>}
        {fresh && same && <Alert tone="success">The node presents the pinned key.</Alert>}
        {fresh && !same && (
          <ConfirmAction testId="repin" variant="danger" label="Re-pin the new key…" confirmLabel="Trust the new key" busy={repin.isPending}
            title="Trust the new host key?" onConfirm={() => repin.mutate({ nodeId: node.id, hostKeyFingerprint: fresh.fingerprint })}>
            Only if you compared <code className="font-mono">{fresh.fingerprint}</code> with the node itself (e.g. after a reinstall). Someone in the path would present a different key too.
          </ConfirmAction>
        )}
        <ErrorAlert error={probe.error ?? repin.error} />
      </CardBody>
    </Card>
  );
}

export function RemoveCard({ node }: { node: NodeView }) {
  const trpc = useTRPC();
  const router = useRouter();
  const qc = useQueryClient();
  const ves = useQuery(trpc.ves.list.queryOptions({ nodeId: node.id, page: 1, pageSize: 20 }));
  const remove = useMutation(trpc.nodes.remove.mutationOptions({
    onSuccess: async () => { await qc.invalidateQueries({ queryKey: trpc.nodes.page.queryKey() }); router.push('/admin/nodes'); },
  }));
  const count = ves.data?.total ?? 0;
  return (
    <Card data-testid="remove-card">
      <CardHeader title="Remove node" subtitle="The panel forgets the node; the machine itself is left as it is." />
      <CardBody className="space-y-3">
        {ves.isPending && <p className="text-sm text-slate-500">Checking for VEs…</p>}
        <ErrorAlert error={ves.error} />
        {count > 0 && (
          <Alert tone="warning" title={`${count} VE(s) still on this node: evacuate or destroy them first`} data-testid="remove-blocked">
            <ul className="mt-1 list-inside list-disc">{ves.data!.items.map((v) => <li key={v.id}>{v.ctid} · {v.hostname} · {v.state}</li>)}</ul>
            {count > ves.data!.items.length && <p>…and {count - ves.data!.items.length} more.</p>}
          </Alert>
        )}
        <ConfirmAction testId="remove-node" label="Remove node…" confirmLabel={`Remove ${node.name}`} busy={remove.isPending} disabled={ves.isPending || count > 0}
          title={`Remove ${node.name} from the panel?`} onConfirm={() => remove.mutate({ nodeId: node.id })}>
          Its pools, template caches and drift reports go with it; task history stays.
        </ConfirmAction>
        <ErrorAlert error={remove.error} />
      </CardBody>
    </Card>
  );
}

export function CapabilitiesCard({ node }: { node: NodeView }) {
  return (
    <Card>
      <CardHeader title="Capabilities" subtitle="What this node can do, and why anything is off." />
      <CardBody>
        <ul className="divide-y divide-slate-100" data-testid="capabilities">
          {node.capabilityReport.map((c) => (
            <li key={c.key} className="flex items-start gap-3 py-2 text-sm" data-testid={`capability-${c.key}`} data-on={c.on}>
              <Badge tone={c.on ? 'green' : 'slate'} className="mt-0.5 shrink-0">{c.on ? 'on' : 'off'}</Badge>
              <span><span className="font-medium text-slate-900">{c.label}</span> <span className="text-slate-600">— {c.detail}</span></span>
            </li>
          ))}
        </ul>
      </CardBody>
    </Card>
  );
}
