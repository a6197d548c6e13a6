// Source side of the copy: rsync over the node's OpenSSH client to the target's forced command.
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { channelAlive, openChannel } from './channel';
import { fifoWatchdog } from './fifo-watch';

export interface SendTarget { host: string; port: number; user: string; hostKey: string; root: string }

export interface SendStats { filesTransferred: number; bytesTransferred: number; totalBytes: number }

/** rsync's `--stats` block -> numbers (missing lines read as 0). */
export function parseRsyncStats(out: string): SendStats {
  const num = (label: string) => Number(new RegExp(`^${label}: ([\\d,]+)`, 'm').exec(out)?.[1]?.replace(/,/g, '') ?? 0);
  return {
    filesTransferred: num('Number of regular files transferred'),
    bytesTransferred: num('Total transferred file size'),
    totalBytes: num('Total file size'),
  };
}

export { knownHostsLine } from './channel';

const SAFE_PATH = /^\/[A-Za-z0-9_./-]+$/;

// While the VE runs its files come and go under rsync: 24 (vanished between listing and read) and
// 23 (some not transferred) only mean this pass is partial. The final pass runs frozen and the
// manifest check compares the settled trees, so a live pass may be partial; a frozen one may not.
const copied = (code: number, live: boolean) => code === 0 || (live && (code === 23 || code === 24));

/**
 * rsync -aHAX --numeric-ids --delete --inplace of `root/` to the target, over the migration's
 * one SSH connection (channel.ts): the host key is pinned (no TOFU), the key never outlives the
 * login, and the final pass inside the pause opens only a new session on the live connection.
 * `live`: the VE runs during this pass, so its tenant may swap files under rsync (see `copied`);
 * a pass stuck opening a file that became a FIFO is cut short and counts as partial.
 * `filesFrom`: send only the listed names; `wholeFiles`: no delta algorithm (see rsyncOptions).
 */
/**
 * The rsync options of every pass. `filesFrom`: a NUL-separated list of names relative to `root`
 * (changes.ts) instead of the whole tree; rsync then implies --relative and --dirs and no -r, so a
 * listed `dir/` syncs that directory's own entries (deleting extra ones) and nothing deeper.
 */
export function rsyncOptions(bwlimitKBps = 0, filesFrom?: string, wholeFiles = false): string[] {
  return [
    // --whole-file: in the pause CPU is scarcer than bandwidth between nodes; the delta algorithm read
    // and checksummed every changed file on both nodes (an 8 MiB rewrite cost seconds on a loaded box).
    ...(wholeFiles ? ['--whole-file'] : []),
    // --modify-window=-1: mtimes are compared to the nanosecond. At rsync's default (whole seconds) a file
    // rewritten at the same size within the second after pass 1 copied it looks unchanged to the final
    // pass, and the verify then refuses the commit (a VE's counter file did exactly that).
    '-aHAX', '--numeric-ids', '--delete', '--inplace', '--stats', '--timeout=60', '--modify-window=-1',
    ...(bwlimitKBps > 0 ? [`--bwlimit=${bwlimitKBps}`] : []),
    ...(filesFrom ? ['--from0', `--files-from=${filesFrom}`] : []),
  ];
}

export async function rsyncTo(
  vzroot: string, ctid: number, root: string, t: SendTarget, privateKey: string, bwlimitKBps = 0, live = false,
  o: { filesFrom?: string; wholeFiles?: boolean } = {},
): Promise<SendStats & { ms: number; partial?: string }> {
  const { filesFrom, wholeFiles } = o;
  if (!SAFE_PATH.test(root) || !SAFE_PATH.test(t.root) || (filesFrom && !SAFE_PATH.test(filesFrom))) throw new VeError('BAD_PARAMS', 'paths must be plain absolute paths');
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const attempt = async (ssh: string[]) => {
    // rsync splits -e on spaces itself (no shell); every word here is a checked plain token.
    const args = [...rsyncOptions(bwlimitKBps, filesFrom, wholeFiles), '-e', ssh.join(' '), `${root}/`, `${host}:${t.root}/`];
    const t0 = Date.now();
    let watch: ReturnType<typeof fifoWatchdog> | undefined;
    const r = await run('rsync', args, {
      allowFail: true, timeoutMs: 6 * 3600_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' } as unknown as NodeJS.ProcessEnv,
      onSpawn: (pid, kill) => { watch = fifoWatchdog(pid, kill); },
    }).finally(() => watch?.stop());
    return { r, ms: Date.now() - t0, fifo: !!watch?.tripped() };
  };
  let { r, ms, fifo } = await attempt(await openChannel(vzroot, ctid, t, privateKey));
  // The connection from an earlier pass died (target sshd restarted, idle timeout): one fresh try.
  if (!fifo && !copied(r.code, live) && !(await channelAlive(vzroot, ctid))) ({ r, ms, fifo } = await attempt(await openChannel(vzroot, ctid, t, privateKey)));
  if (fifo) {
    if (live) return { ...parseRsyncStats(r.stdout), ms, partial: 'a file turned into a FIFO while it was read (changed from inside the VE)' };
    throw new VeError('INTERNAL', `copy of VE ${ctid} stopped: a file turned into a FIFO while it was read`, { fifo: true });
  }
  if (!copied(r.code, live)) {
    const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new VeError('INTERNAL', `rsync to ${t.host}:${t.port} failed (exit ${r.code}): ${tail}`, { rsyncExit: r.code });
  }
  return { ...parseRsyncStats(r.stdout), ms, ...(r.code !== 0 ? { partial: `rsync exit ${r.code}: files changed while the VE ran` } : {}) };
}
