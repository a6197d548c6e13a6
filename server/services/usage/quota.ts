// The traffic quota ladder, run after each usage pull of a node: one read of the VEs that have a
// quota or a step in force, one grouped usage scan per billing period, then per VE that steps a
// short transaction under the VE's row lock (so two panel processes cannot both take a step).
import type { Prisma, PrismaClient } from '@/server/db/client';
import { isAppError } from '@/server/errors';
import { logger } from '@/server/logger';
import { anchorDayOf, billingPeriod, periodUsage } from './period';
import { decideLadder } from './ladder';
import { applyLadder, countedTraffic, LADDER_SELECT, policyOf, type LadderVe, type Outcome } from './quota-apply';
import { announce } from './quota-announce';

export interface EvaluateOptions {
  /** Only this node's VEs (the node just pulled); all VEs when omitted. */
  nodeId?: string;
  /** The clock (tests drive period rollovers with it). */
  now?: Date;
}

/** Evaluates the ladder of the VEs with a quota (or a step in force); returns what each stepping VE did. */
export async function evaluateQuotas(prisma: PrismaClient, opts: EvaluateOptions = {}): Promise<Outcome[]> {
  const now = opts.now ?? new Date();
  const where: Prisma.VeWhereInput = {
    ...(opts.nodeId ? { nodeId: opts.nodeId } : {}),
    OR: [
      { plan: { usagePolicy: { trafficQuota: { gt: 0 } } } },
      { usage: { OR: [{ throttledAt: { not: null } }, { suspendedAt: { not: null } }] } },
    ],
  };
  const ves = await prisma.ve.findMany({ where, select: LADDER_SELECT });
  const groups = new Map<number, { start: Date; end: Date; ves: LadderVe[] }>();
  for (const v of ves) {
    const p = billingPeriod(anchorDayOf(v), now);
    const g = groups.get(p.start.getTime()) ?? { ...p, ves: [] };
    g.ves.push(v);
    groups.set(p.start.getTime(), g);
  }
  const out: Outcome[] = [];
  for (const g of groups.values()) {
    const usage = await periodUsage(prisma, g.ves.map((v) => v.id), g.start, g.end);
    for (const v of g.ves) {
      const u = usage.get(v.id)!;
      const traffic = u.netIn + u.netOut;
      // Decided once without the lock; most VEs are below every threshold and stop here.
      const d = decideLadder(policyOf(v.plan), v.usage, countedTraffic(v.usage, traffic, g.start), g.start);
      if (!d.lift && !d.newPeriod && !d.steps.length) continue;
      try {
        const r = await applyLadder(prisma, v.id, traffic, g, now);
        if (r) {
          out.push(r);
          await announce(prisma, r);
        }
      } catch (e) {
        // A busy VE (migrating, being created) takes its step at a later pull.
        if (isAppError(e) && (e.code === 'BUSY' || e.code === 'NOT_FOUND')) continue;
        logger.error({ ve: v.ctid, err: (e as Error).message }, 'quota ladder step failed');
      }
    }
  }
  return out;
}
