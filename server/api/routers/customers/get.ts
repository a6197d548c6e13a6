import { adminProcedure } from '@/server/api/trpc';
import { getCustomer } from '@/server/services/customers';
import { CustomerIdInput, CustomerOutput, toCustomerOutput } from './schemas';

/** One customer (admin); NOT_FOUND for unknown ids and for admins. */
export const get = adminProcedure
  .input(CustomerIdInput)
  .output(CustomerOutput)
  .query(async ({ ctx, input }) => toCustomerOutput(await getCustomer(ctx.prisma, input.id)));
