import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { addSource as add } from '@/server/operations/imports';
import { Address, SshPort } from '../nodes/probeHostKey';
import { SourceOutput } from './schemas';

/** Adds an OpenVZ host to import from, pinning the host key the admin confirmed (admin). */
export const addSource = adminProcedure
  .input(z.object({
    name: z.string().min(1).max(63).regex(/^[a-z0-9][a-z0-9.-]*$/, 'lower-case letters, digits, dots and dashes'),
    host: Address, port: SshPort,
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a user name').default('root'),
    confDir: z.string().regex(/^\/[A-Za-z0-9_./-]+$/, 'an absolute path').default('/etc/vz/conf'),
    hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'SHA256 fingerprint from imports.probeSource'),
  }))
  .output(SourceOutput)
  .mutation(({ ctx, input }) => add(ctx.prisma, input));
