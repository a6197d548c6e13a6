'use client';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { CheckList } from '@/app/_components/CheckList';
import { SelectField } from '@/app/_components/Select';
import { ErrorAlert, Alert } from '@/app/_components/Alert';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';
import { CanChange } from '@/app/_components/Can';
import { Dialog } from '@/app/_components/Dialog';
import { PlanQuotaForm } from '@/app/_components/PlanQuotaForm';

const NUMBERS = [
  { key: 'ram', label: 'RAM (MiB)', def: '512' },
  { key: 'swap', label: 'Swap (MiB)', def: '0' },
  { key: 'diskspace', label: 'Disk (MiB)', def: '2048' },
  { key: 'cpus', label: 'CPUs', def: '1' },
  { key: 'cpulimit', label: 'CPU limit %', def: '0' },
  { key: 'numproc', label: 'Processes', def: '512' },
  { key: 'ipv4Count', label: 'IPv4 addresses', def: '1' },
] as const;

function CreatePlan() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const templates = useQuery(trpc.templates.list.queryOptions());
  const [name, setName] = useState('');
  const [nums, setNums] = useState<Record<string, string>>(Object.fromEntries(NUMBERS.map((n) => [n.key, n.def])));
  const [templateIds, setTemplateIds] = useState<string[]>([]);
  const groups = useQuery(trpc.nodeGroups.list.queryOptions());
  const [nodeGroupId, setNodeGroupId] = useState('');
  const create = useMutation(trpc.plans.create.mutationOptions({
    onSuccess: () => { setName(''); setTemplateIds([]); return qc.invalidateQueries({ queryKey: trpc.plans.list.queryKey() }); },
  }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = Object.fromEntries(Object.entries(nums).map(([k, v]) => [k, Number(v)])) as Record<(typeof NUMBERS)[number]['key'], number>;
    create.mutate({ name: name.trim(), ...n, templateIds, nodeGroupId: nodeGroupId || null });
  };
  return (
    <Card>
      <CardHeader title="New plan" subtitle="Limits every VE on the plan gets; per-VE overrides are set on the VE." />
      <CardBody>
        {create.data && <Alert tone="success" className="mb-4" data-testid="plan-created">Plan {create.data.name} created.</Alert>}
        <ErrorAlert error={create.error} className="mb-4" />
        <form onSubmit={submit} className="space-y-4">
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <Field label="Name" required value={name} onChange={(e) => setName(e.target.value)} data-testid="plan-name" />
            {NUMBERS.map((n) => (
              <Field key={n.key} label={n.label} type="number" value={nums[n.key]} onChange={(e) => setNums((s) => ({ ...s, [n.key]: e.target.value }))} data-testid={`plan-${n.key}`} />
            ))}
          </div>
          <CheckList label="Templates (none ticked = all enabled)" options={(templates.data ?? []).map((t) => ({ value: t.id, label: <code className="text-xs">{t.name}</code> }))}
            value={templateIds} onChange={setTemplateIds} />
          <div className="max-w-xs">
            <SelectField label="Node group" value={nodeGroupId} onChange={(e) => setNodeGroupId(e.target.value)} hint="Place this plan's VEs only on the group's nodes" data-testid="plan-node-group">
              <option value="">Any node</option>
              {groups.data?.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
            </SelectField>
          </div>
          <Button type="submit" loading={create.isPending} data-testid="plan-create">Create plan</Button>
        </form>
      </CardBody>
    </Card>
  );
}

export default function PlansPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const plans = useQuery(trpc.plans.list.queryOptions());
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.plans.list.queryKey() });
  const update = useMutation(trpc.plans.update.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.plans.remove.mutationOptions({ onSuccess: invalidate }));
  const [quotaOf, setQuotaOf] = useState<{ id: string; name: string } | null>(null);
  return (
    <>
      <PageHeader title="Plans" description="What can be sold: RAM, disk, CPU, processes, addresses and allowed templates." />
      <div className="space-y-6">
        <CanChange><CreatePlan /></CanChange>
        <ErrorAlert error={plans.error ?? update.error ?? remove.error} />
        <Card>
          <Table>
            <THead><tr><Th>Name</Th><Th>RAM</Th><Th>Swap</Th><Th>Disk</Th><Th>CPU</Th><Th>Procs</Th><Th>IPv4</Th><Th>Templates</Th><Th>VEs</Th><Th>Status</Th><Th /></tr></THead>
            <TBody>
              {plans.isPending && <EmptyRow colSpan={11}>Loading…</EmptyRow>}
              {plans.data?.length === 0 && <EmptyRow colSpan={11}>No plans.</EmptyRow>}
              {plans.data?.map((p) => (
                <tr key={p.id} data-testid={`plan-row-${p.name}`}>
                  <Td className="font-medium text-slate-900">{p.name}{p.nodeGroup && <Badge tone="indigo" className="ml-2">{p.nodeGroup.name}</Badge>}</Td>
                  <Td>{p.ram} MiB</Td><Td>{p.swap} MiB</Td><Td>{p.diskspace} MiB</Td>
                  <Td>{p.cpus}{p.cpulimit ? ` / ${p.cpulimit}%` : ''}</Td><Td>{p.numproc}</Td><Td>{p.ipv4Count}</Td>
                  <Td className="text-xs">{p.templates.length ? p.templates.map((t) => t.name).join(', ') : 'all'}</Td>
                  <Td>{p.veCount}</Td>
                  <Td>{p.active ? <Badge tone="green">offered</Badge> : <Badge>retired</Badge>}</Td>
                  <Td className="space-x-2 text-right"><CanChange>
                    <Button size="sm" variant="secondary" data-testid={`plan-quota-${p.name}`} onClick={() => setQuotaOf({ id: p.id, name: p.name })}>Quota</Button>
                    <Button size="sm" variant="secondary" onClick={() => update.mutate({ id: p.id, patch: { active: !p.active } })}>{p.active ? 'Retire' : 'Offer'}</Button>
                    {p.veCount === 0 && (
                      <Button size="sm" variant="danger" data-testid={`plan-delete-${p.name}`} loading={remove.isPending && remove.variables?.id === p.id}
                        onClick={() => { if (window.confirm(`Delete plan ${p.name}? This cannot be undone.`)) remove.mutate({ id: p.id }); }}>Delete</Button>
                    )}
                  </CanChange></Td>
                </tr>
              ))}
            </TBody>
          </Table>
        </Card>
      </div>
      {quotaOf && <Dialog title={`Traffic quota of ${quotaOf.name}`} onClose={() => setQuotaOf(null)} testId="plan-quota-dialog"><PlanQuotaForm planId={quotaOf.id} /></Dialog>}
    </>
  );
}
