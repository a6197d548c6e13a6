// A BackupStorage row as the agent's RepoSpec (secrets opened here, at the last moment), and what a
// repository failure means for the task: unreachable, full or locked storage is worth another attempt.
import type { RepoSpec } from '@/agents/protocol/methods/backup';
import type { BackupStorage, PrismaClient } from '@/server/db/client';
import { AppError, isAppError } from '@/server/errors';
import { openSecret } from './seal';

/** The repository as the agent takes it; carries the password and key in clear (never log it). */
export function repoSpecOf(s: BackupStorage): RepoSpec {
  const password = openSecret(s.passwordSealed, `repository password of storage ${s.name}`);
  if (s.kind === 'local') return { kind: 'local', path: s.path, password };
  if (!s.host || !s.user || !s.hostKey || !s.sshKeySealed) throw new AppError('UNPROCESSABLE', `storage ${s.name} is missing its host, user, pinned host key or login key`);
  return { kind: 'sftp', host: s.host, port: s.port, user: s.user, path: s.path, hostKey: s.hostKey, privateKey: openSecret(s.sshKeySealed, `SSH key of storage ${s.name}`), password };
}

export async function loadStorage(prisma: PrismaClient, id: string): Promise<BackupStorage> {
  const s = await prisma.backupStorage.findUnique({ where: { id } });
  if (!s) throw new AppError('NOT_FOUND', 'backup storage not found');
  return s;
}

/** Agent codes of a storage that may work again later (network, space freed, another restic done). */
const TRANSIENT = new Set(['REPO_UNREACHABLE', 'REPO_FULL', 'REPO_LOCKED']);

export const agentCodeOf = (e: unknown): string | undefined => (isAppError(e) && typeof e.data?.agentCode === 'string' ? e.data.agentCode : undefined);

/** True for a repository failure the runner should retry (the task says why on each attempt). */
export const isTransientRepoError = (e: unknown): boolean => TRANSIENT.has(agentCodeOf(e) ?? '');

/** The message a user sees for a failed repository call: names the storage and the reason. */
export function describeRepoError(storage: Pick<BackupStorage, 'name'>, e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  switch (agentCodeOf(e)) {
    case 'REPO_UNREACHABLE': return `backup storage ${storage.name} is unreachable: ${msg}`;
    case 'REPO_FULL': return `backup storage ${storage.name} is full: ${msg}`;
    case 'REPO_LOCKED': return `backup storage ${storage.name} is locked by another job: ${msg}`;
    case 'REPO_HOST_KEY_MISMATCH': return `backup storage ${storage.name} presented another host key than the pinned one: ${msg}`;
    case 'REPO_AUTH_FAILED': return `backup storage ${storage.name} refused the panel's SSH key: ${msg}`;
    case 'REPO_WRONG_PASSWORD': return `backup storage ${storage.name}: the repository password is wrong: ${msg}`;
    case 'REPO_NOT_FOUND': return `backup storage ${storage.name} has no repository yet (check the storage first): ${msg}`;
    default: return msg;
  }
}
