import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { resetCustomerPassword } from '@/server/services/customers';
import { MIN_PASSWORD_LENGTH } from '@/server/services/auth/users';
import { CustomerIdInput, OneTimePassword } from './schemas';

/** Sets a new login password for a customer (given, or generated and returned once) and ends their sessions (admin). */
export const resetPassword = adminProcedure
  .input(CustomerIdInput.extend({ password: z.string().min(MIN_PASSWORD_LENGTH).max(256).optional() }))
  .output(z.object({ password: OneTimePassword }))
  .mutation(({ ctx, input }) => resetCustomerPassword(ctx.prisma, input.id, input.password));
