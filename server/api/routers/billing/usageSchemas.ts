import { z } from 'zod';
import { QuotaState } from '@/server/services/usage/quota-view';

const When = z.string().datetime({ offset: true }).transform((s) => new Date(s));

export const UsagePeriodInput = z.object({
  from: When.optional().describe('Period start (ISO 8601). Alone: the VE\'s billing period containing it. Omitted: the current billing period.'),
  to: When.optional().describe('Period end, exclusive (ISO 8601); needs from. Hour-aligned bounds are exact; others count their whole hour.'),
});

export const BillingUsage = z.object({
  id: z.string(),
  ctid: z.number().int(),
  externalId: z.string().nullable(),
  period: z.object({ start: z.string(), end: z.string() }),
  disk: z.object({ usedBytes: z.number().nullable().describe('highest use seen in the period'), limitBytes: z.number().nullable() }),
  traffic: z.object({ inBytes: z.number(), outBytes: z.number(), totalBytes: z.number() }).describe('bytes the VE received and sent'),
  cpuSeconds: z.number(),
  memory: z.object({ avgBytes: z.number(), peakBytes: z.number() }),
  quota: QuotaState.nullable().describe('the traffic quota ladder in the VE\'s current billing period (null: no quota, or a period other than the current one was asked for)'),
});
