// Admin actions on backup storages that need SSH or the queue: read an sftp host's key, add a storage
// (its host key pinned only once the admin confirmed the fingerprint, like a node), and check it.
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '@/server/db/client';
import { Prisma } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { fetchHostKey, type HostKeyInfo } from '@/server/nodes/ssh/hostkey';
import { newEd25519KeyPair, publicLineOfPrivateKey } from '@/server/nodes/ssh/keys';
import { enqueueTask, enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { loadStorage } from './repo';
import { sealSecret } from './seal';

/** Reads the SSH host key an sftp storage presents (no login) so the admin can compare it. */
export const probeStorageHostKey = (host: string, port: number): Promise<HostKeyInfo> => fetchHostKey(host, port);

export interface AddStorageInput {
  name: string;
  kind: 'local' | 'sftp';
  path: string;
  host?: string;
  port?: number;
  user?: string;
  /** sftp: the fingerprint the admin confirmed (from probeStorageHostKey). */
  hostKeyFingerprint?: string;
  /** sftp: a login key to use; without one the panel makes one and shows its public half. */
  privateKey?: string;
  /** An existing repository's password; without one the panel makes one. */
  password?: string;
}

// The login key: the admin's (validated) or a new ed25519 pair; the public half is shown to authorise it.
function loginKey(given?: string): { privateKey: string; publicKey: string } {
  if (!given) {
    const pair = newEd25519KeyPair('vzpanel-backup');
    return { privateKey: pair.private, publicKey: pair.public.trim() };
  }
  const publicKey = publicLineOfPrivateKey(given, 'vzpanel-backup');
  if (!publicKey) throw new AppError('BAD_INPUT', 'privateKey: not an unencrypted OpenSSH private key', { field: 'privateKey' });
  return { privateKey: given, publicKey };
}

async function confirmedKey(host: string, port: number, fingerprint: string | undefined): Promise<HostKeyInfo> {
  if (!fingerprint) throw new AppError('BAD_INPUT', 'hostKeyFingerprint: read the host key first and confirm its fingerprint', { field: 'hostKeyFingerprint' });
  const presented = await fetchHostKey(host, port);
  if (presented.fingerprint !== fingerprint) {
    throw new AppError('CONFLICT', `${host}:${port} presents host key ${presented.fingerprint}, not the confirmed ${fingerprint}`, { field: 'hostKeyFingerprint', presented: presented.fingerprint });
  }
  return presented;
}

/**
 * Adds a storage: for sftp, pins the host key the admin confirmed (re-read and compared now); seals
 * the repository password and login key; queues `backup.storage.check`, which creates the repository
 * (or opens an existing one with the password) and checks it.
 */
export async function addStorage(prisma: PrismaClient, actor: { userId?: string | null }, input: AddStorageInput) {
  const password = input.password ?? randomBytes(24).toString('base64url');
  let sftp: Record<string, unknown> = {};
  let sshPublicKey: string | null = null;
  if (input.kind === 'sftp') {
    if (!input.host || !input.user) throw new AppError('BAD_INPUT', 'host: an sftp storage needs host and user', { field: 'host' });
    const port = input.port ?? 22;
    const key = await confirmedKey(input.host, port, input.hostKeyFingerprint);
    const login = loginKey(input.privateKey);
    sshPublicKey = login.publicKey;
    sftp = { host: input.host, port, user: input.user, hostKey: key.publicKey, hostKeyFingerprint: key.fingerprint, sshKeySealed: sealSecret(login.privateKey), sshPublicKey };
  } else if (!input.path.startsWith('/')) {
    throw new AppError('BAD_INPUT', 'path: a local storage needs an absolute path', { field: 'path' });
  }
  try {
    return await prisma.$transaction(async (tx) => {
      const s = await tx.backupStorage.create({ data: { name: input.name, kind: input.kind, path: input.path, passwordSealed: sealSecret(password), ...sftp } });
      const task = await enqueueTaskTx(tx, { type: 'backup.storage.check', params: { storageId: s.id, init: true }, queue: `storage:${s.id}`, userId: actor.userId ?? null, maxAttempts: 1 });
      return { id: s.id, taskId: task.id, sshPublicKey, hostKeyFingerprint: (sftp.hostKeyFingerprint as string | undefined) ?? null };
    });
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') throw new AppError('CONFLICT', `a backup storage named ${input.name} already exists`, { field: 'name' });
    throw e;
  }
}

/** Queues a check of the storage (creating its repository if it is still missing). */
export async function checkStorage(prisma: PrismaClient, actor: { userId?: string | null }, id: string) {
  await loadStorage(prisma, id);
  const task = await enqueueTask(prisma, { type: 'backup.storage.check', params: { storageId: id, init: true }, queue: `storage:${id}`, userId: actor.userId ?? null, maxAttempts: 1 });
  return { taskId: task.id };
}
