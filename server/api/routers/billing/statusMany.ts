import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { billingStatusMany } from '@/server/services/billing';
import { Id, STATUS_MAX_IDS, StatusOutput } from './status';

/** POST /api/v1/ves/status: the same with the lists in a JSON body, for lists too long for a URL (scope ves:read). */
export const statusMany = apiKeyProcedure('ves:read')
  .meta({ openapi: { method: 'POST', path: '/ves/status', tags: ['ves'], protect: true, summary: 'State of many VEs at once (lists in the body)', description: 'Changes nothing; a POST only so that long lists fit.' } })
  .input(z.object({ ids: z.array(Id).max(STATUS_MAX_IDS).default([]).describe('VE ids'), externalIds: z.array(Id).max(STATUS_MAX_IDS).default([]).describe('external ids') }).strict())
  .output(StatusOutput)
  .query(({ ctx, input }) => billingStatusMany(ctx.prisma, input));
