import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { issueConsoleTicket } from '@/server/services/console/tickets';
import { auditVe, keyOf, VeIdInput } from './schemas';

/** POST /api/v1/ves/{id}/console (scope ves:write): a console URL that works once, within 60 seconds. */
export const consoleUrl = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'POST', path: '/ves/{id}/console', tags: ['ves'], protect: true, errorResponses: { 422: 'The VE is not running (a network-only suspension keeps the console open)' }, summary: 'Short-lived, single-use web console URL' } })
  .input(VeIdInput)
  .output(z.object({ url: z.string().describe('Relative URL /console/<veId>?ticket=…'), expiresAt: z.string() }))
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    const t = await issueConsoleTicket(ctx.prisma, input.id, { apiKeyId: keyOf(ctx).id });
    return { url: t.url, expiresAt: t.expiresAt.toISOString() };
  });
