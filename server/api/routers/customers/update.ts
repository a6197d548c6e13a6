import { adminProcedure } from '@/server/api/trpc';
import { updateCustomer, UpdateCustomerInput } from '@/server/services/customers';
import { CustomerIdInput, CustomerOutput, toCustomerOutput } from './schemas';

/** Changes a customer's e-mail, name or external id (admin). */
export const update = adminProcedure
  .input(CustomerIdInput.extend({ patch: UpdateCustomerInput }))
  .output(CustomerOutput)
  .mutation(async ({ ctx, input }) => toCustomerOutput(await updateCustomer(ctx.prisma, input.id, input.patch)));
