import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { billingStatusMany } from '@/server/services/billing';
import { Suspension } from './schemas';

/** Most ids (and, separately, external ids) one status call takes. */
export const STATUS_MAX_IDS = 500;

export const Id = z.string().min(1).max(200);

// Query strings carry lists as "a,b,c" or repeated keys; accept both.
const List = z.preprocess(
  (v) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter(Boolean)),
  z.array(Id).max(STATUS_MAX_IDS),
);

export const StatusOutput = z.object({
  ves: z.array(z.object({
    id: z.string(), ctid: z.number().int(), externalId: z.string().nullable(), hostname: z.string(), state: z.string(), suspension: Suspension,
    pendingTasks: z.number().int().describe('queued or running tasks'), lastError: z.string().nullable(), updatedAt: z.string(),
  })),
  notFound: z.array(z.string()),
});

/** GET /api/v1/ves/status?ids=…&externalIds=…: the state of up to 500 VEs in one call (scope ves:read). */
export const status = apiKeyProcedure('ves:read')
  .meta({
    openapi: {
      method: 'GET', path: '/ves/status', tags: ['ves'], protect: true, summary: 'State of many VEs at once',
      description: `Up to ${STATUS_MAX_IDS} ids and ${STATUS_MAX_IDS} external ids. The request line and headers may take 64 KiB (500 VE ids fit); longer lists go to POST /ves/status.`,
    },
  })
  .input(z.object({ ids: List.optional().describe('comma-separated VE ids'), externalIds: List.optional().describe('comma-separated external ids') }))
  .output(StatusOutput)
  .query(({ ctx, input }) => billingStatusMany(ctx.prisma, { ids: input.ids ?? [], externalIds: input.externalIds ?? [] }));
