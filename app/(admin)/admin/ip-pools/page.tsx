'use client';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { CheckList } from '@/app/_components/CheckList';
import { Meter } from '@/app/_components/Meter';
import { ErrorAlert, Alert } from '@/app/_components/Alert';
import { percent } from '@/app/_lib/format';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';
import { CanChange } from '@/app/_components/Can';
import { PoolTools } from './_components/PoolTools';
import { Fragment } from 'react';

function CreatePool() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const [f, setF] = useState({ name: '', cidr: '', gateway: '', nameservers: '' });
  const [nodeIds, setNodeIds] = useState<string[]>([]);
  const create = useMutation(trpc.ipPools.create.mutationOptions({
    onSuccess: () => { setF({ name: '', cidr: '', gateway: '', nameservers: '' }); setNodeIds([]); return qc.invalidateQueries({ queryKey: trpc.ipPools.list.queryKey() }); },
  }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name: f.name.trim(), cidr: f.cidr.trim(), gateway: f.gateway.trim() || null, nameservers: f.nameservers.split(/[\s,]+/).filter(Boolean), nodeIds });
  };
  return (
    <Card>
      <CardHeader title="New IP pool" subtitle="Every address of the network becomes assignable; the gateway is reserved." />
      <CardBody>
        {create.data && <Alert tone="success" className="mb-4" data-testid="pool-created">Pool {create.data.name} created with {create.data.usage.free} free addresses.</Alert>}
        <ErrorAlert error={create.error} className="mb-4" />
        <form onSubmit={submit} className="space-y-4">
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <Field label="Name" required value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} data-testid="pool-name" />
            <Field label="Network (CIDR)" required placeholder="10.199.5.0/28" value={f.cidr} onChange={(e) => setF({ ...f, cidr: e.target.value })} data-testid="pool-cidr" />
            <Field label="Gateway" placeholder="10.199.5.1" value={f.gateway} onChange={(e) => setF({ ...f, gateway: e.target.value })} data-testid="pool-gateway" />
            <Field label="Nameservers" placeholder="10.199.5.53" value={f.nameservers} onChange={(e) => setF({ ...f, nameservers: e.target.value })} />
          </div>
          <CheckList label="Nodes that may use it" options={(nodes.data ?? []).map((n) => ({ value: n.id, label: n.name, testId: `pool-node-${n.name}` }))}
            value={nodeIds} onChange={setNodeIds} />
          <Button type="submit" loading={create.isPending} data-testid="pool-create">Create pool</Button>
        </form>
      </CardBody>
    </Card>
  );
}

export default function IpPoolsPage() {
  const trpc = useTRPC();
  const pools = useQuery(trpc.ipPools.list.queryOptions());
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="IP pools" description="Networks addresses are handed out from, per node or node group." />
      <div className="space-y-6">
        <CanChange><CreatePool /></CanChange>
        <ErrorAlert error={pools.error} />
        <Card>
          <Table>
            <THead><tr><Th>Name</Th><Th>Network</Th><Th>Gateway</Th><Th>Nameservers</Th><Th>Nodes</Th><Th className="w-56">Used</Th><Th /></tr></THead>
            <TBody>
              {pools.isPending && <EmptyRow colSpan={7}>Loading…</EmptyRow>}
              {pools.data?.length === 0 && <EmptyRow colSpan={7}>No pools.</EmptyRow>}
              {pools.data?.map((p) => (
                <Fragment key={p.id}>
                <tr data-testid={`pool-row-${p.name}`}>
                  <Td className="font-medium text-slate-900">{p.name}</Td>
                  <Td className="font-mono">{p.cidr}</Td>
                  <Td className="font-mono">{p.gateway ?? '—'}</Td>
                  <Td className="font-mono text-xs">{p.nameservers.join(', ') || '—'}</Td>
                  <Td>{[...p.nodes.map((n) => n.name), ...(p.nodeGroup ? [`group ${p.nodeGroup.name}`] : [])].join(', ') || '—'}</Td>
                  <Td>
                    <div className="mb-1 text-xs text-slate-600">{p.usage.used} used · {p.usage.free} free · {p.usage.reserved} reserved</div>
                    <Meter value={percent(p.usage.used, p.usage.total - p.usage.reserved)} label={`${p.name} used`} />
                  </Td>
                  <Td className="text-right"><CanChange>
                    <Button size="sm" variant="secondary" onClick={() => setOpen(open === p.id ? null : p.id)} data-testid={`pool-manage-${p.name}`}>{open === p.id ? 'Close' : 'Manage'}</Button>
                  </CanChange></Td>
                </tr>
                {open === p.id && <tr><td colSpan={7}><PoolTools pool={p} /></td></tr>}
                </Fragment>
              ))}
            </TBody>
          </Table>
        </Card>
      </div>
    </>
  );
}
