// One VE's part of a bulk run: lxc-attach with the output streamed to a log file, keeping only tails in memory.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** Last `max` bytes of a stream, without keeping the rest. */
export class Tail {
  private chunks: Buffer[] = [];
  private len = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    if (this.max === 0) return;
    this.chunks.push(b);
    this.len += b.length;
    while (this.len - this.chunks[0].length >= this.max) this.len -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

export interface AttachRun {
  code: number | null;
  stdoutTail: string;
  stderrTail: string;
  /** The host-side timer fired (the attach was killed). */
  killed: boolean;
  /** First bytes of stderr: enough to recognise lxc-attach's own refusals. */
  stderrHead: string;
}

/**
 * Runs `lxc-attach … -- argv` for one VE, writing stdout and stderr as they come to `logFile`
 * (one writer per file: nothing is lost, unlike parallel appends to one shared file).
 */
export function attachToLog(args: string[], input: string, logFile: string, tailBytes: number, timeoutMs: number): Promise<AttachRun> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
    const out = new Tail(tailBytes);
    const err = new Tail(tailBytes);
    let head = '';
    let killed = false;
    const child = spawn('lxc-attach', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => { out.push(b); log.write(b); });
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      if (head.length < 1024) head += b.toString('utf8');
      log.write(b);
    });
    const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); log.end(); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      log.end(() => resolve({ code, stdoutTail: out.text(), stderrTail: err.text(), killed, stderrHead: head }));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}
