// Live usage of one VE, read from the node's beancounters (ve.ubc) on demand; null when the node cannot say.
import type { PrismaClient } from '@/server/db/client';
import { agentForNode } from './agent';

const PAGE = 4096;

export interface VeUsage {
  running: boolean;
  memBytes: number;
  swapBytes: number;
  numproc: number;
  diskBytes: number;
  diskLimitBytes: number | null;
  diskInodes: number;
}

/** Memory, processes and disk in use by VE `ctid` on `nodeId` right now (bytes); null if the node is unreachable or the VE unknown there. */
export async function liveVeUsage(prisma: PrismaClient, nodeId: string, ctid: number): Promise<VeUsage | null> {
  try {
    const agent = await agentForNode(prisma, nodeId);
    const r = await agent.call('ve.ubc', { ctid }, { timeoutMs: 5_000 });
    const row = (name: string) => r.rows.find((x) => x.resource === name);
    const disk = row('diskspace');
    return {
      running: r.running,
      memBytes: (row('physpages')?.held ?? 0) * PAGE,
      swapBytes: (row('swappages')?.held ?? 0) * PAGE,
      numproc: row('numproc')?.held ?? 0,
      diskBytes: (disk?.held ?? 0) * 1024,
      diskLimitBytes: disk?.limit != null ? disk.limit * 1024 : null,
      diskInodes: row('diskinodes')?.held ?? 0,
    };
  } catch {
    return null;
  }
}
