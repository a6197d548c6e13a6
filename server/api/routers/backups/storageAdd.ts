import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { addStorage } from '@/server/operations/backups/storage-admin';
import { StorageHost, StoragePort } from './storageSchemas';

const Path = z.string().min(1).max(4096).regex(/^[A-Za-z0-9_.+@=,/-][A-Za-z0-9_.+@=,:/-]*$/, 'a path of plain characters');

/**
 * Adds a backup storage (admin): a local path on the nodes, or sftp with the host key the admin
 * confirmed (storageProbe). Queues its first check, which creates the restic repository.
 */
export const storageAdd = adminProcedure
  .input(z.object({
    name: z.string().trim().min(1).max(63).regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ -'),
    kind: z.enum(['local', 'sftp']),
    path: Path,
    host: StorageHost.optional(),
    port: StoragePort.optional(),
    user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'a user name').optional(),
    hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'SHA256 fingerprint from storageProbe').optional(),
    privateKey: z.string().min(1).max(16_384).optional().describe('sftp login key; omit and the panel makes one (its public half is returned)'),
    password: z.string().min(8).max(1024).optional().describe('password of an existing repository; omit for a new one'),
  }))
  .output(z.object({ id: z.string(), taskId: z.string(), sshPublicKey: z.string().nullable(), hostKeyFingerprint: z.string().nullable() }))
  .mutation(({ ctx, input }) => addStorage(ctx.prisma, { userId: ctx.user.id }, input));
