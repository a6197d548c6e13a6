'use client';
// The traffic quota ladder of a VE: used of the period's quota, what is in force and why; for an
// admin also a reset (with confirm) that lifts the throttle and the quota's network cut now.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatDate } from '@/app/_lib/format';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { ErrorAlert } from '@/app/_components/Alert';
import { Badge } from '@/app/_components/Badge';

const mb = (b: number) => `${(b / 1e6).toFixed(b < 1e7 ? 2 : 0)} MB`;

export function VeQuota({ veId, onTask, mine }: { veId: string; onTask?: (id: string) => void; mine?: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const admin = useQuery({ ...trpc.usage.quota.queryOptions({ id: veId }), refetchInterval: 15_000, enabled: !mine });
  const own = useQuery({ ...trpc.usage.myQuota.queryOptions({ id: veId }), refetchInterval: 15_000, enabled: !!mine });
  const q = mine ? own : admin;
  const reset = useMutation(trpc.usage.resetQuota.mutationOptions({
    onSuccess: (r) => { if (r.taskId) onTask?.(r.taskId); return qc.invalidateQueries({ queryKey: trpc.usage.quota.queryKey({ id: veId }) }); },
  }));
  const s = q.data?.quota;
  if (!q.data || !s) return null; // no quota on the plan and nothing in force
  const inForce = !!(s.throttle || s.networkSuspended);
  return (
    <Card data-testid="ve-quota">
      <CardHeader title="Traffic quota" subtitle={`Period ${formatDate(q.data.period.start)} – ${formatDate(q.data.period.end)}`}
        actions={mine ? undefined : (
          <Button size="sm" variant="secondary" loading={reset.isPending} data-testid="quota-reset"
            onClick={() => { if (window.confirm('Reset the traffic quota of this VE? The throttle and the quota\'s network cut are lifted now, and the traffic so far in this period no longer counts.')) reset.mutate({ id: veId }); }}>
            Reset quota
          </Button>
        )} />
      <CardBody className="space-y-2 text-sm">
        <p data-testid="quota-used">{mb(s.usedBytes)} of {mb(s.quotaBytes)} used ({s.pct} %); warning at {s.warnPct} %{s.suspendPct != null ? `, network cut at ${s.suspendPct} %` : ''}.</p>
        {s.warnedAt && <p><Badge tone="amber">warned</Badge> {formatDate(s.warnedAt)}</p>}
        {s.throttle && <p data-testid="quota-throttle"><Badge tone="amber">throttled</Badge> to {Math.round(s.throttle.bytesPerSec / 1000)} kB/s since {formatDate(s.throttle.since)}: {s.throttle.reason}.</p>}
        {s.networkSuspended && <p data-testid="quota-suspended"><Badge tone="red">network cut</Badge> since {formatDate(s.networkSuspended.since)}: {s.networkSuspended.reason}.</p>}
        {inForce && s.liftsAt && <p className="text-slate-500">Lifts at the next period ({formatDate(s.liftsAt)}) or on a reset.</p>}
        {!inForce && !s.warnedAt && <p className="text-slate-500">Nothing in force.</p>}
      </CardBody>
      <ErrorAlert error={reset.error} className="mx-5 mb-4" />
    </Card>
  );
}
