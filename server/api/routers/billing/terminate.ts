import { apiKeyProcedure } from '@/server/api/trpc';
import { requestDestroyVe } from '@/server/services/ves';
import { auditVe, billingActor, TaskRef, VeIdInput } from './schemas';

/** DELETE /api/v1/ves/{id} (scope ves:write): terminate; the VE is destroyed on its node and its addresses freed. */
export const terminate = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'DELETE', path: '/ves/{id}', tags: ['ves'], protect: true, errorResponses: { 409: 'Already being destroyed, or migrating' }, summary: 'Terminate a VE (frees its addresses)' } })
  .input(VeIdInput)
  .output(TaskRef)
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    return requestDestroyVe(ctx.prisma, billingActor(ctx), input.id);
  });
