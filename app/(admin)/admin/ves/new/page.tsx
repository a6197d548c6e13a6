'use client';
// Create-VE wizard: customer, plan, template, node (or automatic placement), hostname and access, review.
// After submit it follows the ve.create task live.
import Link from 'next/link';
import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Field, Input } from '@/app/_components/Input';
import { SelectField } from '@/app/_components/Select';
import { ErrorAlert } from '@/app/_components/Alert';
import { TaskProgress } from '@/app/_components/TaskProgress';
import { cn } from '@/app/_lib/cn';

const STEPS = ['Customer', 'Plan', 'Template', 'Node', 'Access', 'Review'] as const;

export default function NewVePage() {
  const trpc = useTRPC();
  const [step, setStep] = useState(0);
  const [custQ, setCustQ] = useState('');
  const [form, setForm] = useState({ ownerId: '', planId: '', templateId: '', nodeId: '', hostname: '', password: '', sshKey: '' });
  const set = (k: keyof typeof form, v: string) => setForm((f) => ({ ...f, [k]: v }));
  const customers = useQuery(trpc.customers.list.queryOptions({ q: custQ || undefined, pageSize: 50 }));
  const plans = useQuery(trpc.plans.list.queryOptions());
  const templates = useQuery(trpc.templates.list.queryOptions());
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const create = useMutation(trpc.ves.create.mutationOptions());

  const plan = plans.data?.find((p) => p.id === form.planId);
  const allowed = (templates.data ?? []).filter((t) => t.enabled && (!plan || plan.templates.length === 0 || plan.templates.some((x) => x.id === t.id)));
  const owner = customers.data?.items.find((c) => c.id === form.ownerId);
  const canNext = [true, !!form.planId, !!form.templateId, true, !!form.hostname && (!!form.password || !!form.sshKey), true][step];

  const submit = () =>
    create.mutate({
      hostname: form.hostname.trim(),
      planId: form.planId,
      templateId: form.templateId,
      ownerId: form.ownerId || null,
      nodeId: form.nodeId || undefined,
      password: form.password || undefined,
      sshKeys: form.sshKey.trim() ? [form.sshKey.trim()] : [],
    });

  if (create.data) {
    const ve = create.data.ve;
    return (
      <>
        <PageHeader title={`Creating VE ${ve.ctid}`} description={`${ve.hostname} on ${ve.nodeName} · ${create.data.addresses.map((a) => a.address).join(', ') || 'no addresses'}`} />
        <Card><CardBody className="space-y-4">
          <TaskProgress taskId={create.data.taskId} title="Create VE" />
          <Link href={`/admin/ves/${ve.id}`} className="text-sm font-medium text-indigo-600 hover:underline" data-testid="open-created-ve">Open VE {ve.ctid} →</Link>
        </CardBody></Card>
      </>
    );
  }

  return (
    <>
      <PageHeader title="Create VE" description="Six short steps; nothing is created before the last one." />
      <ol className="mb-6 flex flex-wrap gap-2 text-sm">
        {STEPS.map((s, i) => (
          <li key={s} className={cn('rounded-full px-3 py-1', i === step ? 'bg-indigo-600 text-white' : i < step ? 'bg-indigo-50 text-indigo-700' : 'bg-slate-100 text-slate-500')}>{i + 1}. {s}</li>
        ))}
      </ol>
      <Card>
        <CardHeader title={STEPS[step]} />
        <CardBody className="space-y-4" data-testid={`wizard-step-${STEPS[step].toLowerCase()}`}>
          {step === 0 && (
            <>
              <Input placeholder="Search customers by e-mail or name" value={custQ} onChange={(e) => setCustQ(e.target.value)} aria-label="Search customers" />
              <SelectField label="Customer" value={form.ownerId} onChange={(e) => set('ownerId', e.target.value)} hint="Leave empty for an admin-only VE." data-testid="wizard-customer">
                <option value="">— none (admin VE) —</option>
                {customers.data?.items.map((c) => <option key={c.id} value={c.id}>{c.email}{c.name ? ` (${c.name})` : ''}</option>)}
              </SelectField>
            </>
          )}
          {step === 1 && (
            <SelectField label="Plan" value={form.planId} onChange={(e) => { set('planId', e.target.value); set('templateId', ''); }} data-testid="wizard-plan">
              <option value="">Choose a plan…</option>
              {plans.data?.filter((p) => p.active).map((p) => <option key={p.id} value={p.id}>{p.name} — {p.ram} MiB RAM, {p.diskspace} MiB disk, {p.cpus} CPU</option>)}
            </SelectField>
          )}
          {step === 2 && (
            <SelectField label="Template" value={form.templateId} onChange={(e) => set('templateId', e.target.value)} hint={plan && plan.templates.length ? `Plan ${plan.name} allows ${plan.templates.length} template(s).` : 'The plan allows every enabled template.'} data-testid="wizard-template">
              <option value="">Choose a template…</option>
              {allowed.map((t) => <option key={t.id} value={t.id}>{t.name} ({t.os} {t.version})</option>)}
            </SelectField>
          )}
          {step === 3 && (
            <SelectField label="Node" value={form.nodeId} onChange={(e) => set('nodeId', e.target.value)} hint="Automatic picks the node with the most free resources that has addresses." data-testid="wizard-node">
              <option value="">Automatic placement</option>
              {nodes.data?.map((n) => <option key={n.id} value={n.id} disabled={n.state !== 'online'}>{n.name} ({n.state}{n.maintenance ? ', maintenance' : ''})</option>)}
            </SelectField>
          )}
          {step === 4 && (
            <>
              <Field label="Hostname" name="hostname" value={form.hostname} onChange={(e) => set('hostname', e.target.value)} placeholder="web1.example.com" data-testid="wizard-hostname" />
              <Field label="Root password" name="password" type="password" autoComplete="new-password" value={form.password} onChange={(e) => set('password', e.target.value)} hint="8–128 characters. It is hashed before it leaves the panel." data-testid="wizard-password" />
              <div>
                <label className="mb-1.5 block text-sm font-medium text-slate-700" htmlFor="sshkey">…or an SSH public key</label>
                <textarea id="sshkey" rows={3} className="block w-full rounded-md px-3 py-2 font-mono text-xs ring-1 ring-inset ring-slate-300" placeholder="ssh-ed25519 AAAA… you@laptop" value={form.sshKey} onChange={(e) => set('sshKey', e.target.value)} />
              </div>
            </>
          )}
          {step === 5 && (
            <dl className="grid grid-cols-[10rem_1fr] gap-y-2 text-sm" data-testid="wizard-review">
              <dt className="text-slate-500">Customer</dt><dd>{owner?.email ?? (form.ownerId ? form.ownerId : 'none (admin VE)')}</dd>
              <dt className="text-slate-500">Plan</dt><dd>{plan?.name}</dd>
              <dt className="text-slate-500">Template</dt><dd>{templates.data?.find((t) => t.id === form.templateId)?.name}</dd>
              <dt className="text-slate-500">Node</dt><dd>{nodes.data?.find((n) => n.id === form.nodeId)?.name ?? 'automatic'}</dd>
              <dt className="text-slate-500">Hostname</dt><dd className="font-mono">{form.hostname}</dd>
              <dt className="text-slate-500">Access</dt><dd>{[form.password && 'root password', form.sshKey && 'SSH key'].filter(Boolean).join(' + ')}</dd>
            </dl>
          )}
          <ErrorAlert error={create.error} />
          <div className="flex justify-between pt-2">
            <Button variant="secondary" disabled={step === 0} onClick={() => setStep((s) => s - 1)}>Back</Button>
            {step < STEPS.length - 1
              ? <Button disabled={!canNext} onClick={() => setStep((s) => s + 1)} data-testid="wizard-next">Next</Button>
              : <Button loading={create.isPending} onClick={submit} data-testid="wizard-create">Create VE</Button>}
          </div>
        </CardBody>
      </Card>
    </>
  );
}
