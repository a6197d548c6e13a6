// Shared request/response schemas of the billing REST procedures.
import { z } from 'zod';
import type { Context } from '@/server/api/context';
import { AppError } from '@/server/errors';

export const VeId = z.string().min(1).max(64).describe('VE id (as returned by create)');
export const VeIdInput = z.object({ id: VeId });

export const TaskRef = z.object({ taskId: z.string().describe('The queued task; poll GET /tasks/{id} or wait for the webhook') });

export const Suspension = z.object({ at: z.string(), reason: z.string().nullable(), mode: z.string().nullable().describe('stop | network') }).nullable();

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
