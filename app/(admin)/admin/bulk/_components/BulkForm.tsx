'use client';
// New bulk job: pick VEs by filter (or arrive with ?veIds= / ?ctids= from the VE table), preview the exact set, then start with rollout controls.
import { useMemo, useState } from 'react';
import { useRouter, useSearchParams } from 'next/navigation';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { ActionFields, buildAction, emptyAction, type ActionDraft } from './ActionFields';
import { PreviewTable } from './PreviewTable';
import { CheckList } from '@/app/_components/CheckList';
import { VE_STATES, nonEmpty, optInt, parseCtids, splitList, type Action, type Rollout, type Selector, type VeState } from './fields';

type Draft = { nodeIds: string[]; planIds: string[]; templateIds: string[]; states: VeState[]; tags: string; ctids: string; veIds: string[] };
type RolloutDraft = { canarySize: string; batchSize: string; concurrency: string; stopAfterFailures: string };

function buildSelector(d: Draft): Selector {
  const s: Selector = {
    nodeIds: nonEmpty(d.nodeIds), planIds: nonEmpty(d.planIds), templateIds: nonEmpty(d.templateIds), states: nonEmpty(d.states),
    tags: nonEmpty(splitList(d.tags)), ctids: nonEmpty(parseCtids(d.ctids)), veIds: nonEmpty(d.veIds),
  };
  const clean = Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as Selector;
  if (!Object.keys(clean).length) throw new Error('choose at least one filter (an empty selection would mean every VE)');
  return clean;
}

function buildRollout(r: RolloutDraft): Rollout {
  return {
    canarySize: optInt(r.canarySize, 'canary size') ?? 0,
    batchSize: optInt(r.batchSize, 'batch size') ?? 0,
    concurrency: optInt(r.concurrency, 'per-node concurrency') ?? 8,
    stopAfterFailures: optInt(r.stopAfterFailures, 'stop after failures'),
  };
}

export function BulkForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const [draft, setDraft] = useState<Draft>(() => ({
    nodeIds: [], planIds: [], templateIds: [], states: [], tags: '',
    ctids: (params.get('ctids') ?? '').replace(/,/g, ' '),
    veIds: splitList(params.get('veIds') ?? ''),
  }));
  const [action, setAction] = useState<ActionDraft>(emptyAction);
  const [rollout, setRollout] = useState<RolloutDraft>({ canarySize: '1', batchSize: '10', concurrency: '8', stopAfterFailures: '1' });
  const [asked, setAsked] = useState<{ selector: Selector; action: Action } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const plans = useQuery(trpc.plans.list.queryOptions());
  const templates = useQuery(trpc.templates.list.queryOptions());
  const preview = useQuery({ ...trpc.bulk.preview.queryOptions(asked ?? { selector: { ctids: [100] } }), enabled: asked !== null, staleTime: Infinity });
  const create = useMutation(trpc.bulk.create.mutationOptions({ onSuccess: (r) => router.push(`/admin/bulk/${r.jobId}`) }));

  // What the form says now; null when it does not parse (the error is shown on Preview/Start).
  const current = useMemo(() => {
    try { return { selector: buildSelector(draft), action: buildAction(action) }; } catch { return null; }
  }, [draft, action]);
  const stale = asked !== null && JSON.stringify(current) !== JSON.stringify(asked);
  const set = (p: Partial<Draft>) => setDraft((d) => ({ ...d, ...p }));

  function doPreview() {
    setFormError(null);
    try { setAsked({ selector: buildSelector(draft), action: buildAction(action) }); } catch (e) { setFormError((e as Error).message); }
  }
  function start() {
    setFormError(null);
    if (!asked || stale || !preview.data) return setFormError('preview the selection first');
    let r: Rollout;
    try { r = buildRollout(rollout); } catch (e) { return setFormError((e as Error).message); }
    create.mutate({ selector: asked.selector, action: asked.action, rollout: r, expectTotal: preview.data.total });
  }

  return (
    <div className="space-y-6">
      <Card>
        <CardHeader title="1. Which VEs" subtitle="Every filter given must match (AND); several choices inside one filter mean any of them (OR)." />
        <CardBody className="space-y-4">
          {draft.veIds.length > 0 && (
            <Alert tone="info" data-testid="bulk-from-table">
              {draft.veIds.length} VEs selected in the VE table. <button className="underline" onClick={() => set({ veIds: [] })}>Clear</button>
            </Alert>
          )}
          <CheckList label="Nodes" testId="bulk-f-nodes" options={(nodes.data ?? []).map((n) => ({ value: n.id, label: n.name }))} value={draft.nodeIds} onChange={(v) => set({ nodeIds: v })} />
          <CheckList label="Plans" testId="bulk-f-plans" options={(plans.data ?? []).map((p) => ({ value: p.id, label: p.name }))} value={draft.planIds} onChange={(v) => set({ planIds: v })} />
          <CheckList label="Templates" testId="bulk-f-templates" options={(templates.data ?? []).map((t) => ({ value: t.id, label: t.name }))} value={draft.templateIds} onChange={(v) => set({ templateIds: v })} />
          <CheckList label="States" testId="bulk-f-states" options={VE_STATES.map((s) => ({ value: s, label: s }))} value={draft.states} onChange={(v) => set({ states: v })} />
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Tags (any of)" placeholder="web prod" value={draft.tags} onChange={(e) => set({ tags: e.target.value })} data-testid="bulk-f-tags" />
            <Field label="CTIDs" placeholder="101 102 110-120" value={draft.ctids} onChange={(e) => set({ ctids: e.target.value })} data-testid="bulk-f-ctids" hint="Space or comma separated; ranges allowed." />
          </div>
        </CardBody>
      </Card>
      <Card>
        <CardHeader title="2. What to do" />
        <CardBody><ActionFields value={action} onChange={setAction} /></CardBody>
      </Card>
      <Card>
        <CardHeader title="3. Preview" subtitle="The exact set the job will act on; starting is refused if it changes in between."
          actions={<Button variant="secondary" onClick={doPreview} loading={preview.isFetching} data-testid="bulk-preview-btn">Preview</Button>} />
        <ErrorAlert error={preview.error} className="m-4" />
        {preview.data && asked && <PreviewTable data={preview.data} stale={stale} />}
      </Card>
      <Card>
        <CardHeader title="4. Rollout" subtitle="A canary batch first, then batches; the job stops starting new batches after too many failures." />
        <CardBody className="grid gap-4 sm:grid-cols-4">
          <Field label="Canary size" type="number" min={0} value={rollout.canarySize} onChange={(e) => setRollout((r) => ({ ...r, canarySize: e.target.value }))} hint="0 = no canary" data-testid="bulk-canary" />
          <Field label="Batch size" type="number" min={0} value={rollout.batchSize} onChange={(e) => setRollout((r) => ({ ...r, batchSize: e.target.value }))} hint="0 = all the rest at once" data-testid="bulk-batch" />
          <Field label="Per-node concurrency" type="number" min={1} max={128} value={rollout.concurrency} onChange={(e) => setRollout((r) => ({ ...r, concurrency: e.target.value }))} data-testid="bulk-concurrency" />
          <Field label="Stop after N failures" type="number" min={1} value={rollout.stopAfterFailures} onChange={(e) => setRollout((r) => ({ ...r, stopAfterFailures: e.target.value }))} hint="empty = never stop" data-testid="bulk-stop-after" />
        </CardBody>
      </Card>
      {formError && <Alert tone="error" data-testid="bulk-form-error">{formError}</Alert>}
      <ErrorAlert error={create.error} />
      <div className="flex justify-end gap-3">
        <Button onClick={start} loading={create.isPending} disabled={!preview.data || stale || preview.data.total === 0} data-testid="bulk-start">
          Start on {preview.data && !stale ? `${preview.data.total - preview.data.willSkip} VEs` : '…'}
        </Button>
      </div>
    </div>
  );
}
