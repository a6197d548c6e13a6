// Sending one recorded event again: a new delivery row (the log keeps the old one) with the same payload.
import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { queueDeliveryJob } from './index';

/**
 * Queues delivery `deliveryId`'s payload again to its webhook, signed afresh with the current
 * secret. The payload keeps its event id, so a receiver that dedupes by it sees the same event.
 * Refused for a disabled webhook (it would only fail).
 */
export async function redeliver(prisma: PrismaClient, deliveryId: string) {
  const d = await prisma.webhookDelivery.findUnique({ where: { id: deliveryId }, include: { webhook: { select: { enabled: true } } } });
  if (!d) throw new AppError('NOT_FOUND', 'Delivery not found');
  if (!d.webhook.enabled) throw new AppError('CONFLICT', 'This webhook is disabled; enable it before redelivering');
  const id = randomUUID();
  await prisma.$transaction(async (tx) => {
    await tx.webhookDelivery.create({ data: { id, webhookId: d.webhookId, event: d.event, payload: d.payload as Prisma.InputJsonValue, nextAttemptAt: new Date() } });
    await queueDeliveryJob(tx, id);
  });
  return { id, webhookId: d.webhookId, event: d.event };
}
