import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listNodes } from '@/server/services/nodes';
import { NodeOutput, toNodeOutput } from './schemas';

/** All nodes with their state and last reported figures (admin). */
export const list = adminProcedure.output(z.array(NodeOutput)).query(async ({ ctx }) => (await listNodes(ctx.prisma)).map(toNodeOutput));
