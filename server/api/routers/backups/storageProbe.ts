import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { probeStorageHostKey } from '@/server/operations/backups/storage-admin';
import { StorageHost, StoragePort } from './storageSchemas';

/** Reads the SSH host key an sftp storage presents (no login), for the admin to compare and confirm. */
export const storageProbe = adminProcedure
  .input(z.object({ host: StorageHost, port: StoragePort }))
  .output(z.object({ type: z.string(), publicKey: z.string(), fingerprint: z.string().describe('SHA256:…, pass it back to storageAdd once confirmed') }))
  .mutation(async ({ input }) => {
    const k = await probeStorageHostKey(input.host, input.port);
    return { type: k.type, publicKey: k.publicKey, fingerprint: k.fingerprint };
  });
