// `vzagent rsync-recv`: the forced command of a migration key on the target. It runs only an
// rsync receiver, with the options our sender uses, into the one prepared VE root it was bound to.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { mountPointSource } from '../storage/image';
import { vePaths } from '../sys/paths';
import { readTargetMarker, recvPidFile } from './state';

// --no-r: a final pass with --files-from (only the names changed since the first pass) turns recursion off.
const LONG_OPTS = new Set(['--delete', '--numeric-ids', '--inplace', '--stats', '--no-r']);
// The short-option cluster `rsync -aHAX` sends to a receiver (`-lHogDtpAXre.iLsfxCIvu`), in a final
// pass with --files-from and --whole-file `-ldWHogDtpAXRe.LsfxCIvu` (d: --dirs, R: --relative, the
// receiver still refuses names that leave its destination; W: no delta); no sender flag.
const SHORT_RE = /^-[lHogDtpAXrdRW]+e\.[A-Za-z]+$/;

/**
 * Checks the command the client asked sshd for (SSH_ORIGINAL_COMMAND) and returns the argv for
 * rsync, or the reason it is refused. Only `rsync --server <our options> . <root>/` passes:
 * no --sender (nothing can be read back), no paths other than the VE's prepared root.
 */
export function validateRecvCommand(original: string | undefined, root: string): { ok: true; args: string[] } | { ok: false; reason: string } {
  if (!original) return { ok: false, reason: 'no command given' };
  if (/[^\x21-\x7e ]/.test(original)) return { ok: false, reason: 'command has control or non-ASCII characters' };
  const argv = original.split(' ');
  if (argv[0] !== 'rsync' || argv[1] !== '--server') return { ok: false, reason: 'only an rsync receiver may run here' };
  const rest = argv.slice(2);
  const dest = rest.pop();
  const dot = rest.pop();
  if (dot !== '.' || dest !== `${root}/`) return { ok: false, reason: 'destination must be the prepared VE root' };
  let short = 0;
  for (const a of rest) {
    if (SHORT_RE.test(a)) short += 1;
    else if (a === '-@-1') continue; // --modify-window=-1 as the sender passes it on: nanosecond mtime comparison
    else if (/^--timeout=\d{1,5}$/.test(a) || /^--bwlimit=\d{1,8}$/.test(a)) continue; // migrate.send's bwlimitKBps reaches the receiver too
    else if (!LONG_OPTS.has(a)) return { ok: false, reason: `option ${a.slice(0, 40)} is not allowed` };
  }
  if (short !== 1) return { ok: false, reason: 'unexpected rsync option set' };
  return { ok: true, args: ['--server', ...rest, '.', `${root}/`] };
}

/** The rsync argv for `ctid`'s receiver, or why it is refused (VE not prepared, root not mounted, bad command). */
export async function recvArgs(vzroot: string, ctid: number, original: string | undefined): Promise<{ ok: true; args: string[] } | { ok: false; reason: string }> {
  if (!Number.isInteger(ctid) || ctid < 1) return { ok: false, reason: 'bad ctid' };
  const p = vePaths(vzroot, ctid);
  const marker = await readTargetMarker(vzroot, ctid).catch(() => undefined);
  if (!marker || marker.state !== 'prepared') return { ok: false, reason: `VE ${ctid} is not prepared for a migration on this node` };
  if (!(await mountPointSource(p.root))) return { ok: false, reason: `the root of VE ${ctid} is not mounted` };
  return validateRecvCommand(original, p.root);
}

/**
 * Spawns the receiver with `stdio` (inherit: the SSH channel of a root forced command; pipe: the
 * daemon serving an unprivileged bridge) and resolves with its exit code once it has ended.
 */
export async function spawnRsyncRecv(vzroot: string, ctid: number, args: string[], stdio: 'inherit' | 'pipe', onSpawn: (c: ChildProcess) => void = () => {}): Promise<number> {
  // Own process group: an abort kills the receiver and its generator child together, even when
  // the SSH session is hung (a cut network) and they would never see EOF.
  const child = spawn('rsync', args, { stdio, detached: true, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' } as unknown as NodeJS.ProcessEnv });
  onSpawn(child);
  const pidFile = recvPidFile(vzroot, ctid);
  if (child.pid) await writeFile(pidFile, `${child.pid}\n`, { mode: 0o600 }).catch(() => undefined);
  const code = await new Promise<number>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (c, sig) => resolve(c ?? (sig ? 128 + 9 : 1)));
  });
  await rm(pidFile, { force: true });
  return code;
}

/** Runs the receiver for `ctid` (stdio = the SSH channel); returns the exit code. */
export async function runRsyncRecv(vzroot: string, ctid: number, env = process.env): Promise<number> {
  const v = await recvArgs(vzroot, ctid, env.SSH_ORIGINAL_COMMAND);
  if (!v.ok) {
    process.stderr.write(`vzagent rsync-recv: refused: ${v.reason}\n`);
    return 126;
  }
  return spawnRsyncRecv(vzroot, ctid, v.args, 'inherit');
}
