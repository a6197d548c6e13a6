import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { getNodeByName } from '@/server/services/nodes';
import { NodeOutput, toNodeOutput } from './schemas';

export const GetNodeInput = z.object({ name: z.string().min(1).max(100) });

/** One node by name (admin); NOT_FOUND when unknown. */
export const get = adminProcedure
  .input(GetNodeInput)
  .output(NodeOutput)
  .query(async ({ ctx, input }) => toNodeOutput(await getNodeByName(ctx.prisma, input.name)));
