// A VE's beancounters as /proc/user_beancounters shows them, asked from its node now (the agent's ve.ubc).
import { z } from 'zod';
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { agentForNode } from './agent';

export const BeancountersOutput = z.object({
  ctid: z.number().int(),
  running: z.boolean(),
  at: z.string().describe('When the node was asked (ISO time)'),
  rows: z.array(z.object({
    resource: z.string().describe('numproc, kmemsize, physpages, swappages, oomguarpages, diskspace, diskinodes'),
    held: z.number(),
    maxheld: z.number().nullable().describe('null where the kernel keeps no peak'),
    barrier: z.number().nullable().describe('null = unlimited'),
    limit: z.number().nullable().describe('null = unlimited'),
    failcnt: z.number().nullable().describe('Times the limit refused an allocation; null where not counted'),
  })),
});
export type Beancounters = z.infer<typeof BeancountersOutput>;

/** Beancounters of VE `ctid` on `nodeId`; NODE_OFFLINE (not a silent empty table) when the node cannot answer. */
export async function liveBeancounters(prisma: PrismaClient, nodeId: string, ctid: number): Promise<Beancounters> {
  const agent = await agentForNode(prisma, nodeId);
  const r = await agent.call('ve.ubc', { ctid }, { timeoutMs: 8_000 }).catch((e: unknown) => {
    throw new AppError('NODE_OFFLINE', `The node did not answer for VE ${ctid}: ${e instanceof Error ? e.message : String(e)}`);
  });
  return { ctid: r.ctid, running: r.running, at: new Date().toISOString(), rows: r.rows };
}
