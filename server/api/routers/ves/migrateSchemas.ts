import { z } from 'zod';

export const MigrateModeInput = z.enum(['auto', 'offline', 'two-pass', 'online-criu']).default('auto')
  .describe('auto picks online-criu where CRIU works on both nodes, else two-pass for a running VE, offline for a stopped one');

const NodeRef = z.object({ id: z.string(), name: z.string() });

export const NodeCapabilityOutput = z.object({
  role: z.enum(['source', 'target']),
  id: z.string(),
  name: z.string(),
  agentVersion: z.string(),
  lxcVersion: z.string(),
  cgroup: z.string(),
  criu: z.object({ usable: z.boolean(), reason: z.string().describe('Why CRIU is (not) usable, from `criu check`') }),
  features: z.array(z.string()),
});

export const MigrationPlanOutput = z.object({
  ctid: z.number().int(),
  source: NodeRef,
  target: NodeRef,
  status: z.string().describe('Power state of the VE on the source'),
  mode: z.enum(['offline', 'two-pass', 'online-criu']),
  reason: z.string().describe('Why this mode'),
  phases: z.array(z.string()),
  imageBytes: z.number().int(),
  usedBytes: z.number().int(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
  nodes: z.array(NodeCapabilityOutput),
});

/** Input shared by ves.migratePlan and ves.migrate. */
export const MigrateTargetInput = z.object({
  id: z.string().min(1).max(64).describe('VE id'),
  targetNodeId: z.string().min(1).max(64).optional().describe('Omit to let placement choose another node'),
  mode: MigrateModeInput,
});
