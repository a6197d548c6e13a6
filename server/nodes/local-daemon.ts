import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { AppError } from '@/server/errors';

export interface LocalDaemonOptions {
  vzroot: string;
  socket?: string;
  bridge?: string;
  /** Group (name or gid) whose members may open the socket (the unprivileged panel user's). */
  group?: string;
  /** Extra environment for the daemon (e.g. VZ_AGENT_TEST_HANDLERS=1). */
  env?: Record<string, string | undefined>;
  /** agents/bin/vzagentd to run; defaults to this checkout's. */
  daemonBin?: string;
  timeoutMs?: number;
}

export interface LocalDaemon {
  socket: string;
  /** pid when this call started the daemon, undefined when one was already answering. */
  pid?: number;
  started: boolean;
  logFile: string;
  /** SIGTERM (graceful) or SIGKILL the daemon this call started. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export const defaultDaemonBin = (): string =>
  process.env.VZ_AGENTD_BIN ?? path.resolve(import.meta.dirname, '..', '..', 'agents', 'bin', 'vzagentd');

/** Sends `hello` straight to the unix socket; true when a daemon answers it. */
export function daemonAnswers(socket: string, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socket);
    let buf = '';
    const done = (v: boolean) => {
      c.destroy();
      resolve(v);
    };
    c.setTimeout(timeoutMs, () => done(false));
    c.once('error', () => done(false));
    c.once('connect', () => c.write('{"id":"probe","method":"hello"}\n'));
    c.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      if (buf.includes('\n')) done(buf.includes('"result"'));
    });
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Makes sure a vzagentd serves `socket` (all-in-one node, tests): if nothing answers hello there,
 * starts one detached in its own session (so it, and any container it starts, outlives the
 * caller), logging to <vzroot>/log/vzagentd.log, and waits until it answers.
 */
export async function ensureLocalDaemon(opts: LocalDaemonOptions): Promise<LocalDaemon> {
  const socket = opts.socket ?? path.join(opts.vzroot, 'run', 'vzagentd.sock');
  const logFile = path.join(opts.vzroot, 'log', 'vzagentd.log');
  if (await daemonAnswers(socket)) return { socket, started: false, logFile, stop: async () => {} };
  mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  const args = ['--vzroot', opts.vzroot, '--socket', socket, ...(opts.bridge ? ['--bridge', opts.bridge] : []), ...(opts.group ? ['--socket-group', opts.group] : [])];
  const child = spawn(opts.daemonBin ?? defaultDaemonBin(), args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...opts.env } as NodeJS.ProcessEnv,
  });
  closeSync(fd);
  child.unref();
  const pid = child.pid;
  if (!pid) throw new AppError('INTERNAL', 'could not start vzagentd');
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  while (!(await daemonAnswers(socket, 1000))) {
    if (!alive(pid)) throw new AppError('NODE_OFFLINE', `vzagentd exited during start; see ${logFile}`);
    if (Date.now() > deadline) throw new AppError('NODE_OFFLINE', `vzagentd did not answer on ${socket} in time; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!alive(pid)) return;
    process.kill(pid, signal);
    const until = Date.now() + 10_000;
    while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  };
  return { socket, pid, started: true, logFile, stop };
}
