// Shared request/response schemas of the billing REST procedures.
import { z } from 'zod';
import type { Context } from '@/server/api/context';
import { AppError } from '@/server/errors';

export const VeId = z.string().min(1).max(64).describe('VE id (as returned by create)');
export const VeIdInput = z.object({ id: VeId });

/**
 * An integer query parameter: a query string carries text, so only plain decimal digits ("25") are
 * taken (not "0x10", "1e3", " 7" or ""); tRPC callers may send the number itself.
 */
export const queryInt = (min: number, max: number) =>
  z.union([z.number(), z.string().regex(/^(0|[1-9][0-9]{0,9})$/, 'a decimal integer').transform(Number)]).pipe(z.number().int().min(min).max(max));

export const TaskRef = z.object({ taskId: z.string().describe('The queued task; poll GET /tasks/{id} or wait for the webhook') });

export const Suspension = z.object({
  at: z.string(),
  reason: z.string().nullable(),
  mode: z.enum(['stop', 'network']).describe('stop: the VE is stopped; network: its addresses are removed but it keeps its power state'),
  vePowerState: z.enum(['running', 'stopped']).describe('Whether the VE itself runs while suspended (network mode keeps a running VE running; its console then stays open)'),
}).nullable().describe('null when not suspended; `state` is "suspended" in both modes');

export const BillingVe = z.object({
  id: z.string(),
  ctid: z.number().int(),
  hostname: z.string(),
  state: z.string(),
  externalId: z.string().nullable(),
  node: z.string(),
  plan: z.object({ id: z.string(), name: z.string() }).nullable(),
  template: z.string(),
  customerExternalId: z.string().nullable(),
  ipAddresses: z.array(z.string()),
  limits: z.record(z.string(), z.number()),
  overrides: z.record(z.string(), z.number()).describe('Per-VE values replacing the plan\'s (kept across plan changes)'),
  suspension: Suspension,
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The verified API key of an apiKeyProcedure call (the middleware guarantees it). */
export function keyOf(ctx: Context): { id: string; name: string } {
  if (!ctx.apiKey) throw new AppError('UNAUTHENTICATED', 'Missing API key');
  return ctx.apiKey;
}

/** The Actor for services: a billing key. */
export const billingActor = (ctx: Context) => ({ role: 'apiKey' as const, apiKeyId: keyOf(ctx).id });

/** Names the VE as this mutation's audit target. */
export function auditVe(ctx: Context, veId: string): void {
  if (ctx.audit) ctx.audit.target = { type: 've', id: veId };
}

/** A webhook endpoint as the billing API shows it (the signing secret only in create/rotate answers). */
export const BillingWebhook = z.object({
  id: z.string(), url: z.string(), events: z.array(z.string()).describe('Subscribed events; empty = all'), enabled: z.boolean(), description: z.string().nullable(),
  createdAt: z.string(), updatedAt: z.string(),
});
export const WebhookIdInput = z.object({ id: z.string().min(1).max(64) });

/** Dates as ISO strings for JSON. */
export function webhookOut(w: { id: string; url: string; events: string[]; enabled: boolean; description: string | null; createdAt: Date; updatedAt: Date }) {
  return { ...w, createdAt: w.createdAt.toISOString(), updatedAt: w.updatedAt.toISOString() };
}

/** Names a webhook as this mutation's audit target. */
export function auditWebhook(ctx: Context, id: string): void {
  if (ctx.audit) ctx.audit.target = { type: 'webhook', id };
}
