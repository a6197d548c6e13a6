'use client';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, type RouterInputs, type RouterOutputs } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { CheckList } from '@/app/_components/CheckList';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { CanChange } from '@/app/_components/Can';

type Hook = RouterOutputs['webhooks']['list']['items'][number];
type EventName = NonNullable<RouterInputs['webhooks']['create']['events']>[number];

/** A signing secret, shown once right after creation or rotation. */
function SecretOnce({ secret, url }: { secret: string; url: string }) {
  return (
    <Alert tone="success" title={`Signing secret for ${url} (shown once)`} data-testid="webhook-secret-alert">
      <code className="select-all font-mono" data-testid="webhook-secret">{secret}</code>
      <p className="mt-1 text-xs">Store it in your billing system now; it cannot be shown again. Verify X-Vzpanel-Signature with it.</p>
    </Alert>
  );
}

function CreateEndpoint({ events, onSecret }: { events: string[]; onSecret: (s: { secret: string; url: string }) => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [f, setF] = useState({ url: '', description: '' });
  const [picked, setPicked] = useState<string[]>([]);
  const create = useMutation(trpc.webhooks.create.mutationOptions({
    onSuccess: (r) => { onSecret({ secret: r.secret!, url: r.webhook.url }); setF({ url: '', description: '' }); setPicked([]); return qc.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey() }); },
  }));
  const submit = (e: FormEvent) => { e.preventDefault(); create.mutate({ url: f.url.trim(), description: f.description.trim() || undefined, events: picked as EventName[] }); };
  return (
    <Card>
      <CardHeader title="New endpoint" subtitle="Events are POSTed as signed JSON. No event ticked = every event." />
      <CardBody>
        <ErrorAlert error={create.error} className="mb-4" />
        <form onSubmit={submit} className="space-y-4">
          <div className="grid gap-4 md:grid-cols-2">
            <Field label="URL" type="url" required placeholder="https://billing.example.com/vzpanel" value={f.url} onChange={(e) => setF({ ...f, url: e.target.value })} data-testid="webhook-url" />
            <Field label="Description" value={f.description} onChange={(e) => setF({ ...f, description: e.target.value })} />
          </div>
          <CheckList label="Events" options={events.map((e) => ({ value: e, label: <code className="text-xs">{e}</code>, testId: `webhook-event-${e}` }))} value={picked} onChange={setPicked} />
          <Button type="submit" loading={create.isPending} data-testid="webhook-create">Add endpoint</Button>
        </form>
      </CardBody>
    </Card>
  );
}

function EndpointRow({ hook, events, onSecret }: { hook: Hook; events: string[]; onSecret: (s: { secret: string; url: string }) => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey() });
  const [editing, setEditing] = useState(false);
  const [picked, setPicked] = useState<string[]>(hook.events);
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: (r) => { if (r.secret) onSecret({ secret: r.secret, url: r.webhook.url }); setEditing(false); return invalidate(); } }));
  const remove = useMutation(trpc.webhooks.remove.mutationOptions({ onSuccess: invalidate }));
  return (
    <li className="space-y-2 px-5 py-4" data-testid={`webhook-${hook.url}`}>
      <div className="flex flex-wrap items-center gap-3">
        <code className="font-mono text-sm text-slate-900">{hook.url}</code>
        {hook.enabled ? <Badge tone="green">enabled</Badge> : <Badge tone="red">disabled</Badge>}
        <span className="text-xs text-slate-500">{hook.events.length ? hook.events.join(', ') : 'all events'}{hook.description ? ` · ${hook.description}` : ''}</span>
        <CanChange>
          <span className="ml-auto flex gap-2">
            <Button size="sm" variant="secondary" onClick={() => setEditing(!editing)}>Events</Button>
            <Button size="sm" variant="secondary" onClick={() => update.mutate({ id: hook.id, enabled: !hook.enabled })}>{hook.enabled ? 'Disable' : 'Enable'}</Button>
            <Button size="sm" variant="secondary" data-testid="webhook-rotate" loading={update.isPending}
              onClick={() => { if (window.confirm('Rotate the signing secret? Deliveries are signed with the new one at once.')) update.mutate({ id: hook.id, rotateSecret: true }); }}>Rotate secret</Button>
            <Button size="sm" variant="danger" loading={remove.isPending}
              onClick={() => { if (window.confirm(`Delete the endpoint ${hook.url} and its delivery log?`)) remove.mutate({ id: hook.id }); }}>Delete</Button>
          </span>
        </CanChange>
      </div>
      <ErrorAlert error={update.error ?? remove.error} />
      {editing && (
        <div className="flex flex-wrap items-end gap-3">
          <CheckList label="Events (none = all)" options={events.map((e) => ({ value: e, label: <code className="text-xs">{e}</code> }))} value={picked} onChange={setPicked} />
          <Button size="sm" onClick={() => update.mutate({ id: hook.id, events: picked as EventName[] })}>Save events</Button>
        </div>
      )}
    </li>
  );
}

/** Endpoints with their events; the create form and the controls only for roles that may change things. */
export function Endpoints() {
  const trpc = useTRPC();
  const hooks = useQuery(trpc.webhooks.list.queryOptions());
  const [secret, setSecret] = useState<{ secret: string; url: string } | null>(null);
  const events = hooks.data?.events ?? [];
  return (
    <div className="space-y-6">
      {secret && <SecretOnce {...secret} />}
      <CanChange><CreateEndpoint events={events} onSecret={setSecret} /></CanChange>
      <Card>
        <CardHeader title="Endpoints" />
        <ErrorAlert error={hooks.error} className="m-4" />
        {hooks.isPending && <p className="px-5 py-4 text-sm text-slate-500">Loading…</p>}
        {hooks.data?.items.length === 0 && <p className="px-5 py-8 text-center text-sm text-slate-500">No endpoints yet.</p>}
        <ul className="divide-y divide-slate-100">
          {hooks.data?.items.map((h) => <EndpointRow key={`${h.id}-${h.events.join()}`} hook={h} events={events} onSecret={setSecret} />)}
        </ul>
      </Card>
    </div>
  );
}
