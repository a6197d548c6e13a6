import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { rerunFailedBulkJob } from '@/server/services/bulk/jobs';
import { JobIdInput, JobRefOutput } from './schemas';

/** A new job with the same action and rollout over only the VEs that failed (optionally also the cut-off ones). */
export const rerunFailed = adminProcedure
  .input(JobIdInput.extend({ includeCancelled: z.boolean().default(false) }))
  .output(JobRefOutput)
  .mutation(({ ctx, input }) => rerunFailedBulkJob(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, { includeCancelled: input.includeCancelled }));
