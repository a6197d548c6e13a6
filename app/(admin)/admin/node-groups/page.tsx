'use client';
// Node groups (a location or a hardware class): create, rename, put nodes in, delete when empty.
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Field, Input } from '@/app/_components/Input';
import { Select } from '@/app/_components/Select';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';
import { ConfirmAction } from '../nodes/_components/Confirm';
import { CanChange, useCanChange } from '@/app/_components/Can';

type Group = RouterOutputs['nodeGroups']['list'][number];

function useInvalidate() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return () => Promise.all([qc.invalidateQueries({ queryKey: trpc.nodeGroups.list.queryKey() }), qc.invalidateQueries({ queryKey: trpc.nodes.list.queryKey() })]);
}

function CreateGroup() {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const [f, setF] = useState({ name: '', description: '' });
  const create = useMutation(trpc.nodeGroups.create.mutationOptions({ onSuccess: () => { setF({ name: '', description: '' }); return invalidate(); } }));
  const submit = (e: FormEvent) => { e.preventDefault(); create.mutate({ name: f.name, description: f.description || null }); };
  return (
    <Card>
      <CardHeader title="New node group" subtitle="A location (fra1, nyc2) or a hardware class (nvme, high-ram). Plans and billing requests can ask for one." />
      <CardBody>
        <ErrorAlert error={create.error} className="mb-4" />
        <form onSubmit={submit} className="grid gap-4 md:grid-cols-[1fr_2fr_auto] md:items-end">
          <Field label="Name" required value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} data-testid="group-name" />
          <Field label="Description" value={f.description} onChange={(e) => setF({ ...f, description: e.target.value })} />
          <Button type="submit" loading={create.isPending} data-testid="group-create">Create group</Button>
        </form>
      </CardBody>
    </Card>
  );
}

function GroupRow({ g, nodes }: { g: Group; nodes: RouterOutputs['nodes']['list'] }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const [name, setName] = useState<string | null>(null);
  const [nodeId, setNodeId] = useState('');
  const update = useMutation(trpc.nodeGroups.update.mutationOptions({ onSuccess: () => { setName(null); return invalidate(); } }));
  const assign = useMutation(trpc.nodeGroups.assign.mutationOptions({ onSuccess: () => { setNodeId(''); return invalidate(); } }));
  const remove = useMutation(trpc.nodeGroups.remove.mutationOptions({ onSuccess: invalidate }));
  const members = nodes.filter((n) => n.nodeGroup?.id === g.id);
  const empty = g.nodeCount + g.planCount + g.ipPoolCount === 0;
  const canChange = useCanChange();
  return (
    <tr data-testid={`group-row-${g.name}`} className="align-top">
      <Td className="font-medium text-slate-900">
        {!canChange ? g.name : name === null ? <button className="hover:underline" onClick={() => setName(g.name)} title="Rename">{g.name}</button> : (
          <form className="flex gap-2" onSubmit={(e) => { e.preventDefault(); update.mutate({ id: g.id, name }); }}>
            <Input className="w-40" value={name} onChange={(e) => setName(e.target.value)} aria-label="New name" autoFocus data-testid="group-rename-input" />
            <Button size="sm" type="submit" loading={update.isPending}>Save</Button>
            <Button size="sm" variant="ghost" type="button" onClick={() => setName(null)}>Cancel</Button>
          </form>
        )}
        {g.description && <p className="text-xs font-normal text-slate-500">{g.description}</p>}
      </Td>
      <Td className="whitespace-normal">
        <div className="flex flex-wrap gap-1.5">
          {members.map((n) => (
            <span key={n.id} className="inline-flex items-center gap-1 rounded bg-slate-100 px-1.5 py-0.5 text-xs">
              {n.name}{canChange && <button aria-label={`Take ${n.name} out of ${g.name}`} className="text-slate-400 hover:text-red-600" onClick={() => assign.mutate({ id: null, nodeIds: [n.id] })}>×</button>}
            </span>
          ))}
          {!members.length && <span className="text-slate-400">no nodes</span>}
        </div>
        {canChange && <div className="mt-2 flex gap-2">
          <Select className="w-44" value={nodeId} onChange={(e) => setNodeId(e.target.value)} aria-label={`Node to put in ${g.name}`}>
            <option value="">Add a node…</option>
            {nodes.filter((n) => n.nodeGroup?.id !== g.id).map((n) => <option key={n.id} value={n.id}>{n.name}{n.nodeGroup ? ` (now ${n.nodeGroup.name})` : ''}</option>)}
          </Select>
          <Button size="sm" variant="secondary" disabled={!nodeId} loading={assign.isPending} onClick={() => assign.mutate({ id: g.id, nodeIds: [nodeId] })}>Add</Button>
        </div>}
      </Td>
      <Td>{g.planCount}</Td>
      <Td>{g.ipPoolCount}</Td>
      <Td className="space-y-2">
        {canChange && <ConfirmAction testId={`group-delete-${g.name}`} label="Delete…" confirmLabel={`Delete ${g.name}`} busy={remove.isPending} disabled={!empty}
          title={`Delete node group ${g.name}?`} onConfirm={() => remove.mutate({ id: g.id })} />}
        {canChange && !empty && <p className="text-xs text-slate-500">Move its nodes, plans and pools out first.</p>}
        <ErrorAlert error={update.error ?? assign.error ?? remove.error} />
      </Td>
    </tr>
  );
}

export default function NodeGroupsPage() {
  const trpc = useTRPC();
  const groups = useQuery(trpc.nodeGroups.list.queryOptions());
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  return (
    <>
      <PageHeader title="Node groups" description="Placement puts a VE only on nodes of the group its plan or billing request asks for." />
      <div className="space-y-6">
        <CanChange><CreateGroup /></CanChange>
        <ErrorAlert error={groups.error ?? nodes.error} />
        <Card>
          <Table>
            <THead><tr><Th>Group</Th><Th>Nodes</Th><Th>Plans</Th><Th>IP pools</Th><Th /></tr></THead>
            <TBody>
              {(groups.isPending || nodes.isPending) && <EmptyRow colSpan={5}>Loading…</EmptyRow>}
              {groups.data?.length === 0 && <EmptyRow colSpan={5}>No node groups yet: every node takes any VE.</EmptyRow>}
              {nodes.data && groups.data?.map((g) => <GroupRow key={g.id} g={g} nodes={nodes.data} />)}
            </TBody>
          </Table>
        </Card>
        <Alert tone="info">Moving a node to another group does not move its VEs; only new placements and migrations follow the groups.</Alert>
      </div>
    </>
  );
}
