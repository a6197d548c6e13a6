import { apiKeyProcedure } from '@/server/api/trpc';
import { billingReinstall, TemplateName } from '@/server/services/billing';
import { RootPassword } from '@/server/services/ves';
import { auditVe, billingActor, TaskRef, VeIdInput } from './schemas';

/** POST /api/v1/ves/{id}/reinstall (scope ves:write): fresh root filesystem from a template; keeps id, CTID, addresses and limits. */
export const reinstall = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'POST', path: '/ves/{id}/reinstall', tags: ['ves'], protect: true, errorResponses: { 409: 'The VE is busy (creating, destroying, migrating, reinstalling)', 422: 'The VE is suspended, or its plan does not allow the template' }, summary: 'Reinstall from a template (keeps id and addresses)' } })
  .input(VeIdInput.extend({ template: TemplateName, password: RootPassword.optional() }))
  .output(TaskRef)
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    return billingReinstall(ctx.prisma, billingActor(ctx), input.id, { template: input.template, password: input.password });
  });
