import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { bulkItemLog } from '@/server/operations/bulk/log';
import { JobIdInput } from './schemas';

/** The full output of one VE in a script / package-update job, read from its node. */
export const log = adminProcedure
  .input(JobIdInput.extend({ ctid: z.number().int().min(100), maxBytes: z.number().int().min(1).max(16 * 2 ** 20).default(2 ** 20) }))
  .query(({ ctx, input }) => bulkItemLog(ctx.prisma, input.id, input.ctid, input.maxBytes));
