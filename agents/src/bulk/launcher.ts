// One light process per bulk run that forks every VE's lxc-attach (issue 15). Spawning from the
// ~100 MB daemon costs ~2 ms per VE and stalls its event loop; a dash loop forks in well under that.
// The daemon sends "<ctid>\n" lines; the launcher answers "s <ctid> <pid>" when lxc-attach started and
// "e <ctid> <status>" when it ended. stdout/stderr go straight to the VE's files, never through node.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { killTree } from './kill-tree';

// $1 log dir, $2 stdin file, then lxc-attach's arguments after `-n <ctid>`. Values come in argv, never
// in the script text. Each VE runs in a subshell that waits for it and reports its status; one-line
// echoes under PIPE_BUF do not interleave.
const SCRIPT = `dir=$1; in=$2; shift 2
while read -r ctid; do
  ( lxc-attach -n "$ctid" "$@" <"$in" >>"$dir/$ctid.log" 2>>"$dir/$ctid.err" &
    echo "s $ctid $!"; wait $!; echo "e $ctid $?" ) &
done
wait
`;

export interface LaunchResult {
  /** lxc-attach's exit status (128+n after signal n, as the shell reports it). */
  code: number;
  /** The per-VE timer fired and the VE's processes were killed. */
  killed: boolean;
}

/** The launcher went away before it reported this VE; its processes were killed. */
export class LauncherGone extends Error {}

interface Pending { resolve(r: LaunchResult): void; reject(e: Error): void; pid?: number; timer: NodeJS.Timeout; killed: boolean }

export class BulkLauncher {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private gone?: string;
  private readonly closed: Promise<void>;
  /** The launcher died: its orphaned subshells' VEs are killed as they show up, their statuses ignored. */
  private dead = false;

  /** `attachArgs` follow `lxc-attach -n <ctid>`; `runName` shows in ps (`vzbulk-<runName>`). */
  constructor(dir: string, stdinFile: string, attachArgs: string[], runName: string) {
    this.child = spawn('/bin/sh', ['-c', SCRIPT, `vzbulk-${runName}`, dir, stdinFile, ...attachArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    this.child.stderr.on('data', (b: Buffer) => { if (stderr.join('').length < 2048) stderr.push(b.toString('utf8')); });
    this.child.stdin.on('error', () => {});
    createInterface({ input: this.child.stdout }).on('line', (l) => this.onLine(l));
    let exited = '';
    this.child.on('exit', (code, sig) => {
      exited = sig ? `killed by ${sig}` : `exit ${code}`;
      // Orphaned subshells still wait for their VE: kill those trees (lxc-attach and the VE command) so
      // nothing runs on behind a released lock; background jobs earlier VEs left on purpose live on.
      if (!sig && code === 0) return;
      this.dead = true;
      for (const p of this.pending.values()) if (p.pid) void killTree(p.pid);
    });
    this.child.on('error', (e) => { exited ||= e.message; });
    // stdout closes once the launcher and every subshell are gone: then any VE still pending was not reported.
    this.closed = new Promise((resolve) => this.child.stdout.on('close', () => {
      this.gone = `the bulk launcher (pid ${this.child.pid ?? '?'}) ended (${exited || 'stdout closed'})${stderr.length ? `: ${stderr.join('').trim()}` : ''}`;
      for (const [ctid, p] of this.pending) { clearTimeout(p.timer); p.reject(new LauncherGone(this.gone)); this.pending.delete(ctid); }
      resolve();
    }));
  }

  get pid(): number | undefined { return this.child.pid; }

  /** Starts lxc-attach for one VE; kills its process tree after timeoutMs. Rejects with LauncherGone. */
  run(ctid: number, timeoutMs: number): Promise<LaunchResult> {
    if (this.gone) return Promise.reject(new LauncherGone(this.gone));
    if (this.pending.has(ctid)) return Promise.reject(new Error(`VE ${ctid} is already running in this bulk run`));
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject, killed: false, timer: setTimeout(() => this.timeout(p), timeoutMs) };
      this.pending.set(ctid, p);
      this.child.stdin.write(`${ctid}\n`);
    });
  }

  /** No more VEs: waits for the running ones to be reported and the launcher to exit. */
  async close(): Promise<void> {
    this.child.stdin.end();
    await this.closed;
  }

  private onLine(l: string): void {
    const [kind, c, v] = l.split(' ');
    const p = this.pending.get(Number(c));
    if (!p) return;
    if (kind === 's') {
      p.pid = Number(v);
      if (p.killed || this.dead) void killTree(p.pid);
    } else if (kind === 'e' && !this.dead) {
      clearTimeout(p.timer);
      this.pending.delete(Number(c));
      p.resolve({ code: Number(v), killed: p.killed });
    }
  }

  private timeout(p: Pending): void {
    p.killed = true;
    if (p.pid) void killTree(p.pid);
  }
}
