import { z } from 'zod';

export const StorageOutput = z.object({
  id: z.string(), name: z.string(), kind: z.enum(['local', 'sftp']),
  host: z.string().nullable(), port: z.number().int(), user: z.string().nullable(), path: z.string(),
  hostKeyFingerprint: z.string().nullable().describe('SHA256 fingerprint of the pinned host key (sftp)'),
  sshPublicKey: z.string().nullable().describe('The panel\'s login key for this storage: add it to the storage user\'s authorized_keys'),
  state: z.enum(['unchecked', 'ok', 'failed']),
  lastCheckedAt: z.string().nullable(), lastCheckError: z.string().nullable(), lastCheck: z.record(z.string(), z.unknown()),
  backups: z.number().int(), createdAt: z.string(),
});

export const StorageHost = z.string().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/, 'host name or IP address');
export const StoragePort = z.number().int().min(1).max(65_535).default(22);
