import { z } from 'zod';
import { publicProcedure } from '@/server/api/trpc';
import { checkHealth } from '@/server/services/health';

export const HealthOutput = z.object({
  db: z.enum(['ok', 'down']),
  nodes: z.array(z.object({ name: z.string(), state: z.string(), lastSeenAt: z.string().nullable() })),
});

/** Same answer as GET /api/health: database state and each node's state. */
export const health = publicProcedure.output(HealthOutput).query(({ ctx }) => checkHealth(ctx.prisma));
