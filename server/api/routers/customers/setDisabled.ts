import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { setCustomerDisabled } from '@/server/services/customers';
import { CustomerIdInput, CustomerOutput, toCustomerOutput } from './schemas';

/** Disables a customer's login (ending their sessions) or enables it again (admin). Their VEs keep running. */
export const setDisabled = adminProcedure
  .input(CustomerIdInput.extend({ disabled: z.boolean() }))
  .output(CustomerOutput)
  .mutation(async ({ ctx, input }) => toCustomerOutput(await setCustomerDisabled(ctx.prisma, input.id, input.disabled)));
