import { apiKeyProcedure } from '@/server/api/trpc';
import { requestSetRootPassword, RootPassword } from '@/server/services/ves';
import { auditVe, billingActor, TaskRef, VeIdInput } from './schemas';

/** POST /api/v1/ves/{id}/password (scope ves:write): new root password (hashed here; the clear text is never stored or queued). */
export const setPassword = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'POST', path: '/ves/{id}/password', tags: ['ves'], protect: true, errorResponses: { 409: 'The VE is busy (creating, destroying, migrating, reinstalling)', 422: 'The VE is suspended' }, summary: 'Set the root password' } })
  .input(VeIdInput.extend({ password: RootPassword }))
  .output(TaskRef)
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    return requestSetRootPassword(ctx.prisma, billingActor(ctx), input.id, input.password);
  });
