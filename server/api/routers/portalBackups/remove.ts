import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { requestForget } from '@/server/services/backups';
import { auditTarget, IdInput } from '../backups/schemas';

/** Deletes one of the user's backups (frees a place in the plan's count once done). */
export const remove = customerProcedure
  .input(IdInput)
  .output(z.object({ taskIds: z.array(z.string()) }))
  .mutation(({ ctx, input }) => {
    auditTarget(ctx, 'backup', input.id);
    return requestForget(ctx.prisma, { role: 'customer', userId: ctx.user.id }, [input.id]);
  });
