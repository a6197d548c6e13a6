import { apiKeyProcedure } from '@/server/api/trpc';
import { Hostname, requestSetHostname } from '@/server/services/ves';
import { auditVe, billingActor, TaskRef, VeIdInput } from './schemas';

/** POST /api/v1/ves/{id}/hostname (scope ves:write): rename the VE (RFC 1123 host name). */
export const setHostname = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'POST', path: '/ves/{id}/hostname', tags: ['ves'], protect: true, errorResponses: { 409: 'The VE is busy (creating, destroying, migrating, reinstalling)', 422: 'The VE is suspended' }, summary: 'Set the host name' } })
  .input(VeIdInput.extend({ hostname: Hostname }))
  .output(TaskRef)
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    return requestSetHostname(ctx.prisma, billingActor(ctx), input.id, input.hostname);
  });
