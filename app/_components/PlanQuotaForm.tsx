'use client';
// A plan's traffic quota ladder (admin): quota per period, warning share, throttle rate at 100 %,
// optional network cut; checked here for the obvious mistakes and again by the server.
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { readPolicyForm, toForm, type Form } from '@/app/_lib/quota-form';

export function PlanQuotaForm({ planId, onSaved }: { planId: string; onSaved?: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const current = useQuery(trpc.usage.policy.queryOptions({ planId }));
  const [form, setForm] = useState<Form | null>(null);
  const [errors, setErrors] = useState<Partial<Record<keyof Form, string>>>({});
  const save = useMutation(trpc.usage.setPolicy.mutationOptions({
    onSuccess: (p) => { setForm(toForm(p)); onSaved?.(); return qc.invalidateQueries({ queryKey: trpc.usage.policy.queryKey({ planId }) }); },
  }));
  const f = form ?? (current.data ? toForm(current.data) : null);
  if (!f) return <ErrorAlert error={current.error} />;
  const set = (k: keyof Form) => (ev: { target: { value: string } }) => setForm({ ...f, [k]: ev.target.value });
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const r = readPolicyForm(f);
    setErrors(r.errors);
    if (r.policy) save.mutate({ planId, policy: r.policy });
  };
  return (
    <form onSubmit={submit} noValidate className="space-y-4" data-testid="plan-quota-form">
      {save.isSuccess && <Alert tone="success" data-testid="plan-quota-saved">Saved; VEs on the plan follow it from the next usage pull.</Alert>}
      <ErrorAlert error={save.error} />
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Traffic per period (MB, in + out)" type="number" step="any" min={0} value={f.quotaMb} onChange={set('quotaMb')} error={errors.quotaMb} hint="0 = no quota" data-testid="quota-mb" />
        <Field label="Warn at (%)" type="number" min={1} max={100} value={f.warnPct} onChange={set('warnPct')} error={errors.warnPct} data-testid="quota-warn" />
        <Field label="Throttle at 100 % to (kB/s)" type="number" step="any" min={0} value={f.throttleKb} onChange={set('throttleKb')} error={errors.throttleKb} hint="0 = do not throttle" data-testid="quota-throttle-rate" />
        <Field label="Cut the network at (%)" type="number" min={1} max={1000} value={f.suspendPct} onChange={set('suspendPct')} error={errors.suspendPct} hint="empty = never" data-testid="quota-suspend" />
        <Field label="Period starts on day" type="number" min={1} max={28} value={f.anchorDay} onChange={set('anchorDay')} error={errors.anchorDay} hint="1-28; empty = each VE's creation day" data-testid="quota-anchor" />
      </div>
      <Button type="submit" loading={save.isPending} data-testid="quota-save">Save quota</Button>
    </form>
  );
}
