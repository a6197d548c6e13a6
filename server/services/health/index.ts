import type { PrismaClient } from '@/server/db/client';
import { nodeStates } from '@/server/services/nodes';

export interface Health {
  db: 'ok' | 'down';
  nodes: Array<{ name: string; state: string; lastSeenAt: string | null }>;
}

/** Database reachability and each node's last known state; never throws. */
export async function checkHealth(prisma: PrismaClient): Promise<Health> {
  try {
    await prisma.$queryRaw`SELECT 1`;
  } catch {
    return { db: 'down', nodes: [] };
  }
  try {
    const nodes = await nodeStates(prisma);
    return { db: 'ok', nodes: nodes.map((n) => ({ name: n.name, state: n.state, lastSeenAt: n.lastSeenAt?.toISOString() ?? null })) };
  } catch {
    // The DB answers but the schema is not there yet (first start, migrations pending).
    return { db: 'ok', nodes: [] };
  }
}
