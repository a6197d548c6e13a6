import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { probeSource as probe } from '@/server/operations/imports';
import { Address, SshPort } from '../nodes/probeHostKey';

/** Reads an OpenVZ host's SSH host key (no login) for the admin to confirm, with the import key to install there (admin). */
export const probeSource = adminProcedure
  .input(z.object({ host: Address, port: SshPort }))
  .output(z.object({ fingerprint: z.string(), publicKey: z.string(), importKey: z.string() }))
  .mutation(({ input }) => probe(input.host, input.port));
