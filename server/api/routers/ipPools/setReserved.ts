import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { setAddressReserved } from '@/server/services/ippools';

/** Holds an address back from allocation or releases it (an address a VE holds cannot be reserved). */
export const setReserved = adminProcedure
  .input(z.object({ address: z.string().trim().min(2).max(45), reserved: z.boolean() }))
  .output(z.object({ address: z.string(), reserved: z.boolean() }))
  .mutation(async ({ ctx, input }) => {
    await setAddressReserved(ctx.prisma, input.address, input.reserved);
    return input;
  });
