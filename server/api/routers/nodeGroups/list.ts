import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listNodeGroups } from '@/server/services/nodes/groups';
import { NodeGroupOutput, toNodeGroupOutput } from './schemas';

/** Every node group with its node, plan and IP pool counts (admin). */
export const list = adminProcedure.output(z.array(NodeGroupOutput)).query(async ({ ctx }) => (await listNodeGroups(ctx.prisma)).map(toNodeGroupOutput));
