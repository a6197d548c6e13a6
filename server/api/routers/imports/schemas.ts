import { z } from 'zod';

export const SourceId = z.string().min(1).max(64);
export const NodeId = z.string().min(1).max(64);
export const Ctid = z.number().int().min(100).max(2_147_483_647);
export const PlanInput = z.object({ sourceId: SourceId, nodeId: NodeId, sourceCtid: Ctid, ctid: Ctid.optional().describe('import as this ctid (default: the same)'), planId: z.string().min(1).max(64) });
export const SourceOutput = z.object({ id: z.string(), name: z.string(), host: z.string(), port: z.number(), user: z.string(), confDir: z.string(), hostKeyFingerprint: z.string(), createdAt: z.date() });
