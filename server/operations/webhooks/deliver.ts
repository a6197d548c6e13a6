// Graphile task "webhook.deliver": POST one signed delivery; on failure re-queue it with exponential backoff.
import http from 'node:http';
import https from 'node:https';
import type { Task as GraphileTask } from 'graphile-worker';
import type { PrismaClient, Task } from '@/server/db/client';
import { logger } from '@/server/logger';
import { onTaskFinished } from '@/server/operations/tasks/hooks';
import { redact } from '@/server/services/tasks';
import { checkedWebhookAddress } from '@/server/services/webhooks/target';
import { emitWebhookEvent, queueDeliveryJob, SIGNATURE_HEADER, signWebhook, type WebhookEvent } from '@/server/services/webhooks';

/** Attempts before a delivery is given up (then status failed, visible in the delivery log). */
export const MAX_DELIVERY_ATTEMPTS = 8;
const TIMEOUT_MS = 10_000;

// First retry after this long, doubling each time (10 s, 20 s, 40 s … ~21 min); tests shorten it.
const backoffBaseMs = () => Number(process.env.VZ_WEBHOOK_BACKOFF_MS ?? 10_000);

type Lookup = NonNullable<http.RequestOptions['lookup']>;
type PostResult = { status?: number; error?: string; body?: string };
// Kept of a receiver's answer for the delivery log; the rest is read and dropped.
const BODY_KEEP = 500;

/**
 * POSTs to `url` connecting only to `to` (the address checkedWebhookAddress approved), whatever
 * the name resolves to now: the Host header and TLS name stay the URL's. Redirects are not followed.
 */
export function post(url: string, to: { address: string; family: 4 | 6 }, body: string, headers: Record<string, string>): Promise<PostResult> {
  const pinned = ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
    opts.all ? cb(null, [{ address: to.address, family: to.family }]) : cb(null, to.address, to.family)) as unknown as Lookup;
  const lib = new URL(url).protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = lib.request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, lookup: pinned, timeout: TIMEOUT_MS }, (res) => {
      let kept = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { if (kept.length < BODY_KEEP) kept += c.slice(0, BODY_KEEP - kept.length); });
      res.on('end', () => resolve({ status: res.statusCode, body: kept }));
      res.on('error', (e) => resolve({ error: e.message.slice(0, 500) }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (e) => resolve({ error: e.message.slice(0, 500) }));
    req.end(body);
  });
}

async function send(prisma: PrismaClient, url: string, body: string, headers: Record<string, string>): Promise<PostResult> {
  try {
    return await post(url, await checkedWebhookAddress(prisma, url), body, headers);
  } catch (e) {
    return { error: (e as Error).message.slice(0, 500) };
  }
}

/** Sends delivery `deliveryId` once and records the outcome (idempotent for finished deliveries). */
export async function deliverOnce(prisma: PrismaClient, deliveryId: string): Promise<void> {
  const d = await prisma.webhookDelivery.findUnique({ where: { id: deliveryId }, include: { webhook: true } });
  if (!d || d.status !== 'pending') return;
  const attempts = d.attempts + 1;
  if (!d.webhook.enabled) {
    await prisma.webhookDelivery.update({ where: { id: d.id }, data: { status: 'failed', error: 'webhook disabled', nextAttemptAt: null } });
    return;
  }
  const body = JSON.stringify(d.payload);
  const ts = Math.floor(Date.now() / 1000);
  const r = await send(prisma, d.webhook.url, body, {
    'Content-Type': 'application/json',
    'User-Agent': 'vzpanel-webhooks/1',
    [SIGNATURE_HEADER]: signWebhook(d.webhook.secret, ts, body),
    'X-Vzpanel-Event': d.event,
    'X-Vzpanel-Delivery': d.id,
  });
  if (r.status !== undefined && r.status >= 200 && r.status < 300) {
    await prisma.webhookDelivery.update({ where: { id: d.id }, data: { status: 'succeeded', attempts, responseStatus: r.status, responseBody: r.body ?? null, error: null, deliveredAt: new Date(), nextAttemptAt: null } });
    return;
  }
  const error = r.error ?? `HTTP ${r.status}`;
  if (attempts >= MAX_DELIVERY_ATTEMPTS) {
    await prisma.webhookDelivery.update({ where: { id: d.id }, data: { status: 'failed', attempts, responseStatus: r.status ?? null, responseBody: r.body ?? null, error, nextAttemptAt: null } });
    logger.warn({ deliveryId: d.id, webhookId: d.webhookId, error }, 'webhook delivery given up');
    return;
  }
  const next = new Date(Date.now() + backoffBaseMs() * 2 ** (attempts - 1));
  await prisma.$transaction(async (tx) => {
    await tx.webhookDelivery.update({ where: { id: d.id }, data: { attempts, responseStatus: r.status ?? null, responseBody: r.body ?? null, error, nextAttemptAt: next } });
    await queueDeliveryJob(tx, d.id, next);
  });
}

/** The graphile task function (one job per attempt; retries are new jobs with run_at = backoff). */
export function webhookDeliverTask(prisma: PrismaClient): GraphileTask {
  return async (payload) => {
    const { deliveryId } = payload as { deliveryId: string };
    await deliverOnce(prisma, deliveryId);
  };
}

// Task types whose success is a suspension change worth its own event.
const SUSPENSION_EVENTS: Record<string, WebhookEvent> = {
  've.billing.suspend': 've.suspended',
  've.billing.unsuspend': 've.unsuspended',
  've.suspend': 've.suspended',
  've.resume': 've.unsuspended',
};

// A destroyed VE's row is gone by now (and the task's veId with it): its identity comes from what the destroy task was given.
// Any other task whose VE is gone by the time it finishes still names it the same way (state "gone").
function destroyedVe(task: Task, state: 'destroyed' | 'gone') {
  const p = (task.params ?? {}) as { veId?: unknown; externalId?: unknown; hostname?: unknown };
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const id = task.veId ?? str(p.veId);
  if (!id && task.ctid == null) return null;
  return { id, ctid: task.ctid, externalId: str(p.externalId), hostname: str(p.hostname), state, suspendReason: null, suspendMode: null };
}

// The VE row is read once, and only when a webhook listens for one of the task's events (every task
// ends here: a fleet-wide power action with no webhooks costs one statement, not two).
async function onFinished(prisma: PrismaClient, task: Task): Promise<void> {
  let read: Promise<{ data: Record<string, unknown>; destroyed: boolean }> | undefined;
  const load = () => (read ??= (async () => {
    const row = task.veId ? await prisma.ve.findUnique({ where: { id: task.veId }, select: { id: true, ctid: true, externalId: true, hostname: true, state: true, suspendReason: true, suspendMode: true } }) : null;
    const destroyed = task.type === 've.destroy' && task.status === 'succeeded' && !row;
    const ve = row ?? destroyedVe(task, destroyed ? 'destroyed' : 'gone');
    const data = {
      task: {
        id: task.id, type: task.type, status: task.status, error: task.error, errorCode: task.errorCode, veId: task.veId ?? ve?.id ?? null, ctid: task.ctid,
        createdAt: task.createdAt.toISOString(), finishedAt: task.finishedAt?.toISOString() ?? null, result: redact(task.result),
      },
      ve,
    };
    return { data, destroyed };
  })());
  const data = async () => (await load()).data;
  await emitWebhookEvent(prisma, task.status === 'succeeded' ? 'task.succeeded' : 'task.failed', data);
  const ev = SUSPENSION_EVENTS[task.type];
  if (ev && task.status === 'succeeded') await emitWebhookEvent(prisma, ev, data);
  // Only a succeeded destroy can be "destroyed": its row is read whether or not task events have listeners.
  if (task.type === 've.destroy' && task.status === 'succeeded' && (await load()).destroyed) await emitWebhookEvent(prisma, 've.destroyed', data);
}

/** Hooks webhook events onto task completion (idempotent). */
export function registerWebhookHooks(): void {
  onTaskFinished('webhooks', onFinished);
}
