import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { getNodeByName } from '@/server/services/nodes';
import { acceptNewHostKey } from '@/server/operations/nodes';
import { NodeOutput, toNodeOutput } from './schemas';

/** Pins the node's new host key after the admin confirmed its fingerprint (nodes.probeHostKey) (admin). */
export const clearHostKeyMismatch = adminProcedure
  .input(z.object({ nodeId: z.string().min(1).max(64), hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/) }))
  .output(NodeOutput)
  .mutation(async ({ ctx, input }) => {
    const n = await acceptNewHostKey(ctx.prisma, input.nodeId, input.hostKeyFingerprint);
    return toNodeOutput(await getNodeByName(ctx.prisma, n.name));
  });
