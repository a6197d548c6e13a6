import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestRemoveVeAddress } from '@/server/services/ves/addresses';
import { AddressTaskOutput } from '@/server/services/ves/addressSchemas';
import { VeIdInput } from './actionSchemas';

/** Removes one of the VE's addresses (admin), live; the address returns to its pool when the node has dropped it. */
export const removeAddress = adminProcedure
  .input(VeIdInput.extend({ address: z.string().min(2).max(45) }))
  .output(AddressTaskOutput)
  .mutation(({ ctx, input }) => requestRemoveVeAddress(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.address));
