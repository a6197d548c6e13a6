import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestAddNode } from '@/server/operations/nodes';
import { Address, SshPort } from './probeHostKey';

export const AddNodeInput = z.object({
  name: z.string().min(1).max(63).regex(/^[a-z0-9][a-z0-9.-]*$/, 'lower-case letters, digits, dots and dashes'),
  address: Address,
  sshPort: SshPort,
  sshUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a user name').optional()
    .describe('Account the one-time credential logs in as (root, or another uid-0 account); default root. The panel later logs in as its own unprivileged agent account.'),
  hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'SHA256 fingerprint from nodes.probeHostKey'),
  // Used once by the bootstrap task, sealed while queued and erased afterwards; never returned.
  credential: z.union([
    z.object({ password: z.string().min(1).max(1024) }).strict(),
    z.object({ privateKey: z.string().min(1).max(16_384) }).strict(),
  ]),
  nodeGroupId: z.string().max(64).nullish(),
});

/** Adds a node: pins the confirmed host key and queues its bootstrap over SSH (admin). */
export const add = adminProcedure
  .input(AddNodeInput)
  .output(z.object({ nodeId: z.string(), taskId: z.string().describe('The node.bootstrap task; follow it for progress'), hostKeyFingerprint: z.string() }))
  .mutation(({ ctx, input }) => requestAddNode(ctx.prisma, { userId: ctx.user.id }, input));
