import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { cancelBulkJob } from '@/server/services/bulk/jobs';
import { JobIdInput } from './schemas';

/** Stops a bulk job: no further batch, no further VE on the nodes; VEs already running finish. */
export const cancel = adminProcedure
  .input(JobIdInput)
  .output(z.object({ jobId: z.string(), cancelRequested: z.boolean() }))
  .mutation(({ ctx, input }) => cancelBulkJob(ctx.prisma, input.id));
