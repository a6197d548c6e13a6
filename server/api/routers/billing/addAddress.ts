import { apiKeyProcedure } from '@/server/api/trpc';
import { requestAddVeAddress } from '@/server/services/ves/addresses';
import { AddAddressFields, AddressTaskOutput } from '@/server/services/ves/addressSchemas';
import { auditVe, billingActor, VeIdInput } from './schemas';

/** POST /api/v1/ves/{id}/addresses (scope ves:write): one more IPv4/IPv6 address, live on a running VE. */
export const addAddress = apiKeyProcedure('ves:write')
  .meta({
    openapi: {
      method: 'POST', path: '/ves/{id}/addresses', tags: ['ves'], protect: true, summary: 'Add an extra IP address',
      errorResponses: { 409: 'No free address in the pools serving the VE\'s node, the address is taken, or the VE is busy', 422: 'The VE is suspended or in error' },
    },
  })
  .input(VeIdInput.extend(AddAddressFields.shape))
  .output(AddressTaskOutput)
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    return requestAddVeAddress(ctx.prisma, billingActor(ctx), input.id, { family: input.family, address: input.address });
  });
