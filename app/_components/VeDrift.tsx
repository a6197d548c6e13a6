'use client';
// Where the VE's node disagrees with the panel, per field, with the two repairs: take the node's value
// (the panel row changes at once) or push the panel's value (a ve.set task the page follows).
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useTRPCClient } from '@/app/_lib/trpc';
import { formatAgo } from '@/app/_lib/format';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { ErrorAlert } from '@/app/_components/Alert';

// Units as the panel keeps them (the node's bytes are converted by the reconciler).
const UNIT: Record<string, string> = { ram: ' MiB', swap: ' MiB', diskspace: ' MiB', iolimit: ' MB/s', cpulimit: '%' };
const show = (field: string, v: unknown) => (Array.isArray(v) ? (v.length ? v.join(', ') : '(none)') : typeof v === 'boolean' ? (v ? 'yes' : 'no') : `${String(v)}${UNIT[field] ?? ''}`);

export function VeDrift({ id, readOnly, onTask, onChanged }: { id: string; readOnly?: boolean; onTask: (taskId: string) => void; onChanged: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const drift = useQuery({ ...trpc.ves.drift.queryOptions({ id }), refetchInterval: 10_000 });
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const fields = drift.data?.fields ?? [];
  if (!fields.length && !error) return null;

  async function act(field: (typeof fields)[number]['field'], how: 'take' | 'push') {
    setBusy(`${how}-${field}`);
    setError(null);
    try {
      if (how === 'take') await client.ves.driftTake.mutate({ id, field });
      else onTask((await client.ves.driftPush.mutate({ id, field })).taskId);
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
      void qc.invalidateQueries({ queryKey: trpc.ves.drift.queryKey({ id }) });
    }
  }

  return (
    <Card className="mb-6 border-amber-300" data-testid="ve-drift">
      <CardHeader title="The node disagrees" subtitle="Changed on the node behind the panel's back (vzctl, or a lost update). Nothing is fixed silently: pick a side per field." />
      <CardBody className="space-y-3">
        <ErrorAlert error={error} />
        <table className="w-full text-sm">
          <thead><tr className="text-left text-xs uppercase text-slate-500"><th className="py-1">Field</th><th>Panel</th><th>Node</th><th>Since</th><th /></tr></thead>
          <tbody>
            {fields.map((f) => (
              <tr key={f.field} className="border-t border-slate-100" data-testid={`drift-${f.field}`}>
                <td className="py-2 font-mono">{f.field === 'state' ? 'power state' : f.field}</td>
                <td data-testid="drift-panel">{show(f.field, f.panel)}</td>
                <td data-testid="drift-node" className="font-semibold text-amber-800">{show(f.field, f.node)}</td>
                <td className="text-xs text-slate-500">{formatAgo(f.since)}</td>
                <td className="space-x-2 text-right whitespace-nowrap">
                  {!readOnly && <>
                  <Button size="sm" variant="secondary" loading={busy === `take-${f.field}`} disabled={!!busy} onClick={() => act(f.field, 'take')} data-testid="drift-take">Take the node&apos;s value</Button>
                  <Button size="sm" variant="secondary" loading={busy === `push-${f.field}`} disabled={!!busy || !f.canPush} title={f.canPush ? undefined : 'Only a reinstall changes this on the node'} onClick={() => act(f.field, 'push')} data-testid="drift-push">Push the panel&apos;s value</Button>
                  </>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </CardBody>
    </Card>
  );
}
