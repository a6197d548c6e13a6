// Taking ladder steps (and lifting them) for one VE: the VeUsage record and the node task that
// carries the throttle or the network cut out, written in one transaction under the VE's row lock.
import type { Prisma, PrismaClient } from '@/server/db/client';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { addressesOfVe } from '@/server/services/ippools/allocate';
import { lockVe } from '@/server/services/ves/lock';
import type { Actor } from '@/server/services/ves/scope';
import { decideLadder, type LadderPolicy, type LadderStep } from './ladder';

export const LADDER_SELECT = {
  id: true, ctid: true, nodeId: true, externalId: true, createdAt: true, state: true, suspendMode: true,
  usage: { select: { anchorDay: true, periodStart: true, warnedAt: true, throttledAt: true, suspendedAt: true, throttleRate: true, trafficOffset: true } },
  plan: { select: { usagePolicy: { select: { anchorDay: true, trafficQuota: true, warnPct: true, throttleRate: true, suspendPct: true } } } },
} as const satisfies Prisma.VeSelect;

export type LadderVe = Prisma.VeGetPayload<{ select: typeof LADDER_SELECT }>;

export const policyOf = (p: LadderVe['plan']): LadderPolicy | null => {
  const u = p?.usagePolicy;
  return u ? { trafficQuota: Number(u.trafficQuota), warnPct: u.warnPct, throttleRate: u.throttleRate, suspendPct: u.suspendPct } : null;
};

/** Why a throttle or network cut was lifted. */
export type LiftReason = 'period' | 'reset' | 'no quota';

export interface Outcome {
  veId: string; ctid: number; externalId: string | null;
  period: { start: Date; end: Date };
  usedBytes: number; quotaBytes: number; pct: number;
  steps: LadderStep[];
  /** What was lifted (and why), null when nothing was in force. */
  lifted: { reason: LiftReason; throttle: boolean; network: boolean } | null;
  /** Bytes/s of a throttle step. */
  throttleRate: number | null;
  taskId: string | null;
}

/** The system acts for the ladder (no user: the task names no one). */
export const LADDER_ACTOR: Actor = { role: 'admin' };

const TX = { maxWait: 10_000, timeout: 15_000 };

/** Traffic counted against the quota: what an admin's reset forgave is subtracted within its period. */
export function countedTraffic(state: LadderVe['usage'], traffic: number, periodStart: Date): number {
  const same = state?.periodStart?.getTime() === periodStart.getTime();
  return Math.max(0, traffic - (same ? Number(state?.trafficOffset ?? 0) : 0));
}

interface Commit { lift: LiftReason | null; steps: LadderStep[]; period: { start: Date; end: Date }; offset?: number; now: Date; used: number; pct: number }

/** Writes the ladder's record and queues the node work for `c` on a VE locked by the caller. */
export async function commitLadder(tx: Prisma.TransactionClient, ve: LadderVe, c: Commit): Promise<Outcome> {
  const policy = policyOf(ve.plan);
  const st = ve.usage;
  const wasThrottled = !!st?.throttledAt;
  const wasCut = !!st?.suspendedAt;
  const fresh = !st?.periodStart || st.periodStart.getTime() !== c.period.start.getTime();
  const data: Prisma.VeUsageUncheckedUpdateInput = { periodStart: c.period.start };
  if (fresh) Object.assign(data, { warnedAt: null, trafficOffset: 0 });
  if (c.offset !== undefined) Object.assign(data, { warnedAt: null, trafficOffset: BigInt(Math.round(c.offset)) });
  if (c.lift) Object.assign(data, { throttledAt: null, suspendedAt: null, throttleRate: null });
  const rate = policy?.throttleRate ?? 0;
  if (c.steps.includes('warn')) data.warnedAt = c.now;
  if (c.steps.includes('throttle')) Object.assign(data, { throttledAt: c.now, throttleRate: rate });
  if (c.steps.includes('suspend')) data.suspendedAt = c.now;
  await tx.veUsage.upsert({ where: { veId: ve.id }, create: { ...(data as Prisma.VeUsageUncheckedCreateInput), veId: ve.id }, update: data });

  let throttle: number | undefined;
  if (c.steps.includes('throttle')) throttle = rate * 8;
  else if (c.lift && wasThrottled) throttle = 0;
  let network: 'cut' | 'restore' | undefined;
  if (c.steps.includes('suspend')) network = c.lift && wasCut ? undefined : 'cut';
  // A billing suspension in network mode keeps the addresses off: its unsuspend brings them back.
  else if (c.lift && wasCut && !(ve.state === 'suspended' && ve.suspendMode === 'network')) network = 'restore';
  let taskId: string | null = null;
  if (throttle !== undefined || network) {
    const addresses = (await addressesOfVe(tx, ve.id)).map((a) => ({ cidr: `${a.address}/${a.prefix}`, family: a.family, gateway: a.gateway }));
    const why = c.steps.length ? `traffic quota: ${c.steps.join(', ')} at ${c.pct.toFixed(1)} %` : `traffic quota lifted (${c.lift})`;
    const params = { ctid: ve.ctid, addresses, why, ...(throttle !== undefined ? { throttle } : {}), ...(network ? { network } : {}) };
    taskId = (await enqueueTaskTx(tx, { type: 've.quota', params, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, maxAttempts: 5 })).id;
  }
  return {
    veId: ve.id, ctid: ve.ctid, externalId: ve.externalId, period: c.period, usedBytes: c.used, quotaBytes: policy?.trafficQuota ?? 0, pct: c.pct,
    steps: c.steps, lifted: c.lift && (wasThrottled || wasCut) ? { reason: c.lift, throttle: wasThrottled, network: wasCut } : null,
    throttleRate: c.steps.includes('throttle') ? rate : null, taskId,
  };
}

/** Re-decides under the VE's lock (another process may have stepped meanwhile) and commits; null when nothing is due any more. */
export async function applyLadder(prisma: PrismaClient, veId: string, traffic: number, period: { start: Date; end: Date }, now: Date): Promise<Outcome | null> {
  return prisma.$transaction(async (tx) => {
    await lockVe(tx, veId, { actor: LADDER_ACTOR });
    const ve = await tx.ve.findUniqueOrThrow({ where: { id: veId }, select: LADDER_SELECT });
    const policy = policyOf(ve.plan);
    const used = countedTraffic(ve.usage, traffic, period.start);
    const d = decideLadder(policy, ve.usage, used, period.start);
    if (!d.lift && !d.newPeriod && !d.steps.length) return null;
    const lift: LiftReason | null = d.lift ? (policy && policy.trafficQuota > 0 ? 'period' : 'no quota') : null;
    return commitLadder(tx, ve, { lift, steps: d.steps, period, now, used, pct: d.pct });
  }, TX);
}
