// Webhooks: admin CRUD, the event catalogue, and queueing one signed delivery per subscribed hook.
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { parseOrBadInput } from '@/server/services/plans/limits';

export { signWebhook, verifyWebhookSignature, SIGNATURE_HEADER } from './sign';

/** Events a webhook can subscribe to (an empty list = all of them). */
export const WEBHOOK_EVENTS = ['task.succeeded', 'task.failed', 've.suspended', 've.unsuspended', 've.destroyed', 'backup.completed', 'backup.failed',
  'usage.traffic.warn', 'usage.traffic.throttled', 'usage.traffic.suspended', 'usage.traffic.lifted'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

const Url = z.string().trim().max(2000).url().refine((u) => /^https?:$/.test(new URL(u).protocol), 'http or https URL');
export const CreateWebhookInput = z.object({
  url: Url,
  events: z.array(z.enum(WEBHOOK_EVENTS)).max(WEBHOOK_EVENTS.length).default([]),
  description: z.string().trim().max(500).optional(),
  enabled: z.boolean().default(true),
});
export const UpdateWebhookInput = z.object({
  url: Url.optional(),
  events: z.array(z.enum(WEBHOOK_EVENTS)).max(WEBHOOK_EVENTS.length).optional(),
  description: z.string().trim().max(500).nullable().optional(),
  enabled: z.boolean().optional(),
  /** New signing secret, returned once. */
  rotateSecret: z.boolean().optional(),
});

const publicSelect = { id: true, url: true, events: true, enabled: true, description: true, createdAt: true, updatedAt: true } as const;
const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

async function load(prisma: PrismaClient, id: string) {
  const w = await prisma.webhook.findUnique({ where: { id }, select: publicSelect });
  if (!w) throw new AppError('NOT_FOUND', 'Webhook not found');
  return w;
}

export const listWebhooks = (prisma: PrismaClient) => prisma.webhook.findMany({ select: publicSelect, orderBy: { createdAt: 'asc' } });
export const getWebhook = load;

/** Creates a webhook; its signing secret is returned in this answer only. */
export async function createWebhook(prisma: PrismaClient, createdById: string | null, raw: z.input<typeof CreateWebhookInput>) {
  const i = parseOrBadInput(CreateWebhookInput, raw);
  const secret = newSecret();
  const w = await prisma.webhook.create({ data: { ...i, events: [...new Set(i.events)], secret, createdById }, select: publicSelect });
  return { webhook: w, secret };
}

export async function updateWebhook(prisma: PrismaClient, id: string, raw: z.input<typeof UpdateWebhookInput>) {
  const { rotateSecret, ...patch } = parseOrBadInput(UpdateWebhookInput, raw);
  await load(prisma, id);
  const secret = rotateSecret ? newSecret() : undefined;
  const w = await prisma.webhook.update({ where: { id }, data: { ...patch, ...(patch.events ? { events: [...new Set(patch.events)] } : {}), ...(secret ? { secret } : {}) }, select: publicSelect });
  return { webhook: w, secret: secret ?? null };
}

export async function deleteWebhook(prisma: PrismaClient, id: string) {
  await load(prisma, id);
  await prisma.webhook.delete({ where: { id } });
  return { id };
}

export const ListDeliveriesInput = z.object({
  webhookId: z.string().max(64).optional(),
  status: z.enum(['pending', 'succeeded', 'failed']).optional(),
  event: z.string().max(64).optional(),
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
});

/** The delivery log, newest first: attempts, last response status or error, when delivered. */
export async function listDeliveries(prisma: PrismaClient, raw: z.input<typeof ListDeliveriesInput>) {
  const f = parseOrBadInput(ListDeliveriesInput, raw);
  const where: Prisma.WebhookDeliveryWhereInput = { ...(f.webhookId ? { webhookId: f.webhookId } : {}), ...(f.status ? { status: f.status } : {}), ...(f.event ? { event: f.event } : {}) };
  const [total, items] = await Promise.all([
    prisma.webhookDelivery.count({ where }),
    prisma.webhookDelivery.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: (f.page - 1) * f.pageSize, take: f.pageSize }),
  ]);
  return { total, page: f.page, pageSize: f.pageSize, items };
}

type Tx = Prisma.TransactionClient | PrismaClient;

/**
 * Queues the delivery job of `deliveryId` (graphile task webhook.deliver), optionally later. HTTP
 * failures are retried by re-queueing with our own backoff; the job's own attempts only cover a
 * worker that died mid-job or a database error.
 */
export async function queueDeliveryJob(tx: Tx, deliveryId: string, runAt = new Date()): Promise<void> {
  await tx.$executeRaw`SELECT graphile_worker.add_job('webhook.deliver', json_build_object('deliveryId', ${deliveryId}::text),
      run_at => ${runAt}::timestamptz, max_attempts => 5, job_key => ${`webhook:${deliveryId}`}::text)`;
}

/**
 * Records `event` for every enabled webhook subscribed to it (one WebhookDelivery each, payload
 * `{id, event, createdAt, data}`) and queues their deliveries, in one transaction.
 */
export async function emitWebhookEvent(prisma: PrismaClient, event: WebhookEvent, data: Record<string, unknown> | (() => Promise<Record<string, unknown>>)): Promise<number> {
  // Every finished task asks (usually to find none): a raw read costs the panel about half of Prisma's.
  const hooks = await prisma.$queryRaw<Array<{ id: string }>>`SELECT id FROM "Webhook" WHERE enabled AND (cardinality(events) = 0 OR ${event} = ANY(events))`;
  if (!hooks.length) return 0;
  // A function: the payload is built (and what it reads is read) only when someone listens.
  const body = typeof data === 'function' ? await data() : data;
  const createdAt = new Date().toISOString();
  await prisma.$transaction(async (tx) => {
    for (const h of hooks) {
      const id = randomUUID();
      const payload = { id, event, createdAt, data: body } as Prisma.InputJsonValue;
      await tx.webhookDelivery.create({ data: { id, webhookId: h.id, event, payload, nextAttemptAt: new Date() } });
      await queueDeliveryJob(tx, id);
    }
  });
  return hooks.length;
}
