// vzspawn: the daemon's spawn helper. A small long-lived node process (started with a small heap,
// nothing else loaded) that forks and execs programs for vzagentd and streams back their output and
// exit status (protocol in spawn-protocol.ts). Why: libuv forks the whole parent to start a program
// and the parent's event loop stops until the child has exec'd; forking this ~40 MB process costs
// less than forking the ~100 MB daemon, and the daemon's loop keeps serving the other operations.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { FromHelper, RunMsg, ToHelper } from './spawn-protocol';

const kids = new Map<number, ChildProcess>();

function send(m: FromHelper): void {
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

function start(m: RunMsg): void {
  let child: ChildProcess;
  try {
    child = spawn(m.cmd, m.args, { cwd: m.cwd, env: (m.env as NodeJS.ProcessEnv | undefined) ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    send({ t: 'error', id: m.id, message: (e as Error).message });
    return;
  }
  let done = false;
  let timedOut = false;
  kids.set(m.id, child);
  if (child.pid) send({ t: 'spawned', id: m.id, pid: child.pid });
  const sent = [0, 0, 0];
  const relay = (fd: 1 | 2) => (b: Buffer) => {
    if (m.maxOutput !== undefined && sent[fd] >= m.maxOutput) return;
    sent[fd] += b.length;
    send({ t: 'out', id: m.id, fd, data: b.toString('base64') });
  };
  child.stdout!.on('data', relay(1));
  child.stderr!.on('data', relay(2));
  const timer = m.timeoutMs ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, m.timeoutMs) : undefined;
  const finish = (reply: FromHelper) => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    kids.delete(m.id);
    send(reply);
  };
  child.on('error', (e) => finish({ t: 'error', id: m.id, message: e.message }));
  child.on('close', (code, signal) => finish({ t: 'exit', id: m.id, code, signal, timedOut }));
  // A child that exits before reading stdin must not take the helper down with EPIPE.
  child.stdin!.on('error', () => {});
  if (m.input !== undefined) child.stdin!.end(Buffer.from(m.input, 'base64'));
  else child.stdin!.end();
}

function handle(line: string): void {
  if (!line) return;
  let m: ToHelper;
  try {
    m = JSON.parse(line) as ToHelper;
  } catch {
    process.stderr.write(`vzspawn: unreadable request ignored\n`);
    return;
  }
  if (m.t === 'run') start(m);
  else if (m.t === 'kill') kids.get(m.id)?.kill(m.signal);
}

// The daemon drains its operations on SIGTERM/SIGINT (a terminal's Ctrl-C reaches the whole
// process group): the helper must keep serving them, and leaves when the daemon closes its stdin.
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, () => {});
process.stdout.on('error', () => process.exit(0)); // the daemon is gone
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', handle);
rl.on('close', () => process.exit(0));
