import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listStorages, storageOut } from '@/server/services/backups';
import { StorageOutput } from './storageSchemas';

/** Backup storages with their state and last check (admin; secrets are never returned). */
export const storages = adminProcedure
  .output(z.array(StorageOutput))
  .query(async ({ ctx }) => (await listStorages(ctx.prisma)).map(storageOut));
