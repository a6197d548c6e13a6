import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { getBulkJob } from '@/server/services/bulk/jobs';
import { ItemStatus, JobIdInput } from './schemas';

/** A bulk job with its counts and per-VE result matrix (state, exit code, duration, output tails). */
export const get = adminProcedure
  .input(JobIdInput.extend({ status: z.array(ItemStatus).min(1).optional(), page: z.number().int().min(1).default(1), pageSize: z.number().int().min(1).max(1000).default(500) }))
  .query(({ ctx, input }) => getBulkJob(ctx.prisma, input.id, input));
