import { adminProcedure } from '@/server/api/trpc';
import { requestAddVeAddress } from '@/server/services/ves/addresses';
import { AddAddressFields, AddressTaskOutput } from '@/server/services/ves/addressSchemas';
import { VeIdInput } from './actionSchemas';

/** Adds an extra IPv4/IPv6 address from the pools serving the VE's node (admin); live on a running VE. */
export const addAddress = adminProcedure
  .input(VeIdInput.extend(AddAddressFields.shape))
  .output(AddressTaskOutput)
  .mutation(({ ctx, input }) => requestAddVeAddress(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, { family: input.family, address: input.address }));
