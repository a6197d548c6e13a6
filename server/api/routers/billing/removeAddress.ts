import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { requestRemoveVeAddress } from '@/server/services/ves/addresses';
import { AddressTaskOutput } from '@/server/services/ves/addressSchemas';
import { auditVe, billingActor, VeIdInput } from './schemas';

/** DELETE /api/v1/ves/{id}/addresses/{address} (scope ves:write): remove one address live; it returns to its pool. */
export const removeAddress = apiKeyProcedure('ves:write')
  .meta({
    openapi: {
      method: 'DELETE', path: '/ves/{id}/addresses/{address}', tags: ['ves'], protect: true, summary: 'Remove an IP address',
      errorResponses: { 404: 'No such VE, or the address is not one of its', 409: 'The VE is busy or the address is already being changed', 422: 'It is the VE\'s only address, or the VE is suspended' },
    },
  })
  .input(VeIdInput.extend({ address: z.string().min(2).max(45).describe('The address to remove (URL-encode an IPv6 address)') }))
  .output(AddressTaskOutput)
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    return requestRemoveVeAddress(ctx.prisma, billingActor(ctx), input.id, input.address);
  });
