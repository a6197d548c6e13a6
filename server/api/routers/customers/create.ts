import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { createCustomer, CreateCustomerInput } from '@/server/services/customers';
import { CustomerOutput, OneTimePassword, toCustomerOutput } from './schemas';

/** Creates a customer login (admin); without a password one is generated and returned once. */
export const create = adminProcedure
  .input(CreateCustomerInput)
  .output(z.object({ customer: CustomerOutput, password: OneTimePassword }))
  .mutation(async ({ ctx, input }) => {
    const r = await createCustomer(ctx.prisma, input);
    return { customer: toCustomerOutput(r.customer), password: r.password };
  });
