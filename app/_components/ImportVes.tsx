'use client';
// Import from an OpenVZ host: pick host, target node and plan; list its VEs; dry run one (every
// mapping, what is not carried and why, what blocks it); import it as a task and follow it.
import { useState } from 'react';
import Link from 'next/link';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatBytes } from '@/app/_lib/format';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { SelectField } from '@/app/_components/Select';
import { Button } from '@/app/_components/Button';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { Badge } from '@/app/_components/Badge';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';
import { TaskProgress } from '@/app/_components/TaskProgress';

export function ImportVes() {
  const trpc = useTRPC();
  const sources = useQuery(trpc.imports.sources.queryOptions());
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const plans = useQuery(trpc.plans.list.queryOptions());
  const [pick, setPick] = useState({ sourceId: '', nodeId: '', planId: '' });
  const [sourceCtid, setSourceCtid] = useState<number | null>(null);
  const [started, setStarted] = useState<{ taskId: string; veId: string } | null>(null);
  const ready = !!(pick.sourceId && pick.nodeId && pick.planId);
  const ves = useQuery({ ...trpc.imports.listVes.queryOptions({ sourceId: pick.sourceId, nodeId: pick.nodeId }), enabled: ready, retry: false });
  const plan = useQuery({ ...trpc.imports.plan.queryOptions({ ...pick, sourceCtid: sourceCtid ?? 0 }), enabled: ready && sourceCtid !== null, retry: false });
  const run = useMutation(trpc.imports.run.mutationOptions({ onSuccess: (r) => setStarted({ taskId: r.taskId, veId: r.veId }) }));
  const choose = (k: keyof typeof pick) => (e: React.ChangeEvent<HTMLSelectElement>) => { setPick({ ...pick, [k]: e.target.value }); setSourceCtid(null); setStarted(null); };

  return (
    <Card>
      <CardHeader title="Import VEs" subtitle="The VE keeps its ctid, addresses (they must be in a pool of the target node) and files; its limits come from the plan, with the OpenVZ values as overrides." />
      <CardBody className="space-y-4">
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
          <SelectField label="OpenVZ host" value={pick.sourceId} onChange={choose('sourceId')} data-testid="import-source">
            <option value="">Choose…</option>
            {sources.data?.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
          </SelectField>
          <SelectField label="Target node" value={pick.nodeId} onChange={choose('nodeId')} data-testid="import-node">
            <option value="">Choose…</option>
            {nodes.data?.filter((n) => n.state === 'online').map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
          </SelectField>
          <SelectField label="Plan" value={pick.planId} onChange={choose('planId')} data-testid="import-plan">
            <option value="">Choose…</option>
            {plans.data?.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </SelectField>
        </div>
        {!ready && <p className="text-sm text-slate-500">Choose a host, the node that will run the VEs, and their plan.</p>}
        <ErrorAlert error={ves.error} />
        {ready && (
          <Table>
            <THead><tr><Th>CTID</Th><Th>Hostname</Th><Th>Addresses</Th><Th>Layout</Th><Th>Template</Th><Th /></tr></THead>
            <TBody>
              {ves.isLoading && <EmptyRow colSpan={6}>Reading the host…</EmptyRow>}
              {ves.data?.length === 0 && <EmptyRow colSpan={6}>No CTID.conf in the host&apos;s conf folder.</EmptyRow>}
              {ves.data?.map((v) => (
                <tr key={v.ctid} data-testid={`import-ve-${v.ctid}`} className={v.ctid === sourceCtid ? 'bg-indigo-50' : undefined}>
                  <Td className="font-mono">{v.ctid}{v.ctidTaken && <Badge tone="amber" className="ml-2">ctid in use</Badge>}</Td>
                  <Td>{v.hostname ?? '—'}</Td>
                  <Td className="font-mono text-xs">{v.ips.join(', ') || '—'}</Td>
                  <Td>{v.layout}</Td>
                  <Td className="font-mono text-xs">{v.ostemplate}</Td>
                  <Td className="text-right"><Button size="sm" variant="secondary" onClick={() => { setSourceCtid(v.ctid); setStarted(null); }} data-testid="import-dry-run">Dry run</Button></Td>
                </tr>
              ))}
            </TBody>
          </Table>
        )}
        <ErrorAlert error={plan.error} />
        {plan.isFetching && <p className="text-sm text-slate-500">Reading the VE and measuring its files…</p>}
        {plan.data && !plan.isFetching && (
          <div className="space-y-3" data-testid="import-plan-result">
            <h3 className="text-sm font-semibold text-slate-900">CT {plan.data.ctid} ({plan.data.hostname ?? 'no hostname'}): {plan.data.layout}, {formatBytes(plan.data.usedBytes)}, {plan.data.usedInodes} inodes → node {plan.data.node}</h3>
            <Table>
              <THead><tr><Th>OpenVZ parameter</Th><Th>Value</Th><Th>Becomes</Th><Th>Note</Th></tr></THead>
              <TBody>{plan.data.carried.map((c) => <tr key={c.param}><Td className="font-mono">{c.param}</Td><Td className="font-mono text-xs">{c.value}</Td><Td>{c.to}</Td><Td className="text-slate-500">{c.note ?? ''}</Td></tr>)}</TBody>
            </Table>
            {plan.data.notCarried.length > 0 && (
              <Table data-testid="import-not-carried">
                <THead><tr><Th>Not carried</Th><Th>Value</Th><Th>Why</Th></tr></THead>
                <TBody>{plan.data.notCarried.map((c, i) => <tr key={`${c.param}-${i}`}><Td className="font-mono">{c.param}</Td><Td className="font-mono text-xs">{c.value}</Td><Td>{c.reason}</Td></tr>)}</TBody>
              </Table>
            )}
            <p className="text-sm text-slate-700">Limits in the panel: {Object.entries(plan.data.limits).map(([k, v]) => `${k} ${v}${k in plan.data!.overrides ? ' (from OpenVZ)' : ''}`).join(', ')}</p>
            {plan.data.notes.map((n) => <p key={n} className="text-sm text-amber-700">{n}</p>)}
            {plan.data.problems.length > 0
              ? <Alert tone="error" title="Cannot import as it stands" data-testid="import-problems"><ul className="list-disc pl-5">{plan.data.problems.map((p) => <li key={p}>{p}</li>)}</ul></Alert>
              : !started && <Button loading={run.isPending} onClick={() => run.mutate({ ...pick, sourceCtid: plan.data!.ctid, start: true })} data-testid="import-run">Import CT {plan.data.ctid} and start it</Button>}
            <ErrorAlert error={run.error} />
          </div>
        )}
        {started && (
          <div className="space-y-2">
            <TaskProgress taskId={started.taskId} title="Import" />
            <Link className="text-sm text-indigo-700 underline" href={`/admin/ves/${started.veId}`}>Open the VE</Link>
          </div>
        )}
      </CardBody>
    </Card>
  );
}
