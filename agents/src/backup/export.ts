// Single-use tarball downloads of a backup: a token from ve.backup.export, then a framed byte stream.
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import type { Logger } from 'pino';
import type { RepoSpec } from '@/agents/protocol/methods/backup';
import { encodeFrame } from '@/agents/protocol/console';
import { isVeError } from '../sys/errors';
import { withRepo } from './repo';
import { restic } from './restic';
import { TREE_NAME } from './snapshots';

interface Pending { vzroot: string; repo: RepoSpec; snapshotId: string; expires: number }

// In the daemon's memory only: the repository's secrets are never written down for a download.
const pending = new Map<string, Pending>();

export const EXPORT_TOKEN_RE = /^[A-Za-z0-9_-]{32}$/;

/** Registers a download of `snapshotId` (already checked to exist); the token works once, until it expires. */
export function issueExportToken(vzroot: string, repo: RepoSpec, snapshotId: string, ttlSec: number): { token: string; expiresAt: string } {
  const now = Date.now();
  for (const [t, p] of pending) if (p.expires < now) pending.delete(t);
  const token = randomBytes(24).toString('base64url');
  const expires = now + ttlSec * 1000;
  pending.set(token, { vzroot, repo, snapshotId, expires });
  return { token, expiresAt: new Date(expires).toISOString() };
}

/** Takes the token (single use): the pending export, or an error text for the stream's ack. */
function takeToken(token: string): Pending | string {
  const p = pending.get(token);
  pending.delete(token);
  if (!p) return 'unknown or already used export token';
  if (p.expires < Date.now()) return 'export token expired';
  return p;
}

const ack = (conn: net.Socket, msg: { ok: true } | { error: string }) => conn.write(`${JSON.stringify(msg)}\n`);

/**
 * Serves one export on `conn`: the ack line, then console-framed DATA with `restic dump`'s tar of the
 * backup's /ve tree, then EXIT {code:0}, or ERROR {code,message} when restic failed midway.
 * Backpressure: restic's stdout pauses while the connection's buffer is full.
 */
export async function serveExport(conn: net.Socket, token: string, logger: Logger): Promise<void> {
  const p = takeToken(token);
  if (typeof p === 'string') {
    ack(conn, { error: p });
    conn.end();
    return;
  }
  ack(conn, { ok: true });
  try {
    await withRepo(p.vzroot, p.repo, (repo) => restic(repo, ['dump', p.snapshotId, `/${TREE_NAME}`], 'exporting', {
      onStdout: (out) => {
        let waiting = false;
        out.on('data', (b: Buffer) => {
          for (let i = 0; i < b.length; i += 1 << 16) {
            if (!conn.write(encodeFrame({ type: 'data', data: b.subarray(i, i + (1 << 16)) })) && !waiting) {
              waiting = true;
              out.pause();
              conn.once('drain', () => { waiting = false; out.resume(); });
            }
          }
        });
        conn.once('close', () => out.destroy());
      },
    }));
    conn.end(encodeFrame({ type: 'exit', code: 0, signal: null }));
  } catch (e) {
    logger.warn({ err: (e as Error).message }, 'backup export failed');
    const code = isVeError(e) ? e.code : 'INTERNAL';
    conn.end(encodeFrame({ type: 'error', code, message: (e as Error).message }));
  }
}
