import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { probeHostKey as probe } from '@/server/operations/nodes';

export const Address = z.string().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/, 'host name or IP address');
export const SshPort = z.number().int().min(1).max(65_535).default(22);

/** Reads the SSH host key a node presents (no login) so the admin can compare and confirm it (admin). */
export const probeHostKey = adminProcedure
  .input(z.object({ address: Address, sshPort: SshPort }))
  .output(z.object({ type: z.string(), publicKey: z.string(), fingerprint: z.string().describe('SHA256:…, pass it back to nodes.add once confirmed'),
    roundTripMs: z.number().int().describe('TCP connect to host key received; a slow node shows here before any login') }))
  .mutation(({ input }) => probe(input.address, input.sshPort));
