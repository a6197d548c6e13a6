// Tells the world about ladder steps: a timeline entry each (the VE's owner sees why) and a webhook
// for billing. After the step's transaction: a lost announcement never undoes a step.
import type { PrismaClient } from '@/server/db/client';
import { emitWebhookEvent, type WebhookEvent } from '@/server/services/webhooks';
import { recordUsageEvent } from './timeline';
import type { Outcome } from './quota-apply';
import type { UsageEventKind } from './events-of';

const EVENTS: Record<Outcome['steps'][number], { hook: WebhookEvent; kind: UsageEventKind }> = {
  warn: { hook: 'usage.traffic.warn', kind: 'traffic_warn' },
  throttle: { hook: 'usage.traffic.throttled', kind: 'traffic_throttled' },
  suspend: { hook: 'usage.traffic.suspended', kind: 'traffic_suspended' },
};

export async function announce(prisma: PrismaClient, o: Outcome, now = new Date()): Promise<void> {
  const data = {
    ve: { id: o.veId, ctid: o.ctid, externalId: o.externalId },
    period: { start: o.period.start.toISOString(), end: o.period.end.toISOString() },
    usedBytes: o.usedBytes, quotaBytes: o.quotaBytes, pct: Math.round(o.pct * 10) / 10, taskId: o.taskId,
  };
  if (o.lifted) {
    await recordUsageEvent(prisma, o.veId, 'traffic_lifted', o.lifted.reason === 'reset' ? 0 : 1, now);
    await emitWebhookEvent(prisma, 'usage.traffic.lifted', { ...data, reason: o.lifted.reason, throttle: o.lifted.throttle, network: o.lifted.network });
  }
  for (const step of o.steps) {
    const e = EVENTS[step];
    const amount = step === 'warn' ? Math.floor(o.pct) : step === 'throttle' ? (o.throttleRate ?? 0) : 0;
    await recordUsageEvent(prisma, o.veId, e.kind, amount, now);
    await emitWebhookEvent(prisma, e.hook, step === 'throttle' ? { ...data, throttleBytesPerSec: o.throttleRate } : data);
  }
}
