// Questions about a repository answered without starting restic: each restic run first derives the
// repository key (scrypt, ~0.5 s of CPU), which a backup should pay once, not once per question.
import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import type { RepoAccess } from './repo';
import { resticError } from './restic';

const notFound = (repo: RepoAccess) =>
  new VeError('REPO_NOT_FOUND', `there is no restic repository at this location (initialise it first) (${repo.label})`, { repo: repo.label });

/** One sftp batch command against the repository host (the pinned host key and the key restic uses). */
function sftpBatch(repo: RepoAccess, command: string) {
  if (!('sftp' in repo.space)) throw new VeError('INTERNAL', 'sftpBatch on a local repository');
  const [cmd, ...args] = repo.space.sftp;
  return run(cmd, args, { allowFail: true, timeoutMs: 60_000, input: `${command}\n` });
}

/**
 * The repository is there and reachable (host key, login, its config file): asked before a VE is
 * frozen, so an unreachable target never costs the VE a pause. A wrong password is only seen by
 * restic itself, after the copy (the VE is thawed by then either way).
 */
export async function repoAnswers(repo: RepoAccess): Promise<void> {
  if ('local' in repo.space) {
    await access(path.join(repo.space.local, 'config')).catch(() => { throw notFound(repo); });
    return;
  }
  // paths are plain characters (RepoSpec), so no quoting is needed in the batch line
  const r = await sftpBatch(repo, `ls ${repo.space.path}/config`);
  if (r.code === 0) return;
  if (/not found|No such file/i.test(r.stderr)) throw notFound(repo);
  throw resticError(r.stderr, 'opening the repository', repo.label);
}

/**
 * The full id of a snapshot restic named by its short id (backup --json prints 8 hex digits): the
 * name of its file under snapshots/ (restic's documented layout). Undefined when that is not one
 * unambiguous answer; the caller asks restic then.
 */
export async function fullSnapshotId(repo: RepoAccess, short: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{8,64}$/.test(short)) return undefined;
  let names: string[];
  if ('local' in repo.space) names = await readdir(path.join(repo.space.local, 'snapshots')).catch(() => []);
  else {
    const r = await sftpBatch(repo, `ls -1 ${repo.space.path}/snapshots/${short}*`);
    names = r.code === 0 ? r.stdout.split('\n').map((l) => path.basename(l.trim())) : [];
  }
  const hits = names.filter((n) => /^[0-9a-f]{64}$/.test(n) && n.startsWith(short));
  return hits.length === 1 ? hits[0] : undefined;
}
