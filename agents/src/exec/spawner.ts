// The daemon's side of the spawn helper (spawn-helper.ts): runs programs through one small
// long-lived helper process instead of forking the ~100 MB daemon for each (see bench/README.md,
// "Panel create"). sys/exec.ts `run` routes through the installed Spawner, so callers do not change.
// If the helper dies, the calls it was running fail (their programs' outcome is unknown to us) and
// the next call starts a new helper; while it keeps dying at start, callers fall back to
// child_process in the daemon itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FromHelper, RunMsg, ToHelper } from './spawn-protocol';

export interface SpawnOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Cap on captured output per stream (bytes); the rest is read and dropped. */
  maxOutput?: number;
  /** Told the child's pid once it runs; `kill` SIGKILLs it. */
  onSpawn?: (pid: number, kill: () => void) => void;
}

export interface SpawnOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

/** The program could not be started (ENOENT, EACCES...): what child_process's 'error' event says. */
export class SpawnError extends Error {}
/** The helper died while the program ran: whether the program finished is unknown. */
export class SpawnHelperDied extends Error {}

interface Pending {
  cmd: string;
  max: number;
  out: Buffer[];
  err: Buffer[];
  outLen: number;
  errLen: number;
  onSpawn?: SpawnOptions['onSpawn'];
  resolve: (o: SpawnOutcome) => void;
  reject: (e: Error) => void;
}

export interface SpawnerOptions {
  /** The helper's script (agents/dist/vzspawn.js). */
  script: string;
  /** Extra node flags; the default keeps the helper's heap small. */
  nodeArgs?: string[];
  /** Told about helper starts and deaths. */
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

// A small heap, no JIT and no V8 worker threads: a fork copies less and the helper's little JS
// (JSON lines) needs none of them; this cut the helper's CPU per spawn by ~12-15% against the
// heap flags alone (measured 2026-12-07 at load 12, 100 spawns of `true`).
const HELPER_FLAGS = ['--max-old-space-size=32', '--max-semi-space-size=1', '--jitless', '--no-expose-wasm', '--single-threaded'];

// A helper that dies this often this quickly is broken: use child_process until the window passes.
const CRASH_WINDOW_MS = 10_000;
const CRASH_LIMIT = 3;

/** What sys/exec's `run` needs from a spawner (one helper, or a pool of them). */
export interface ProgramSpawner {
  readonly usable: boolean;
  run(cmd: string, args: readonly string[], o?: SpawnOptions): Promise<SpawnOutcome>;
  close(): Promise<void>;
}

export class Spawner implements ProgramSpawner {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private deaths: number[] = [];
  private closed = false;

  constructor(private readonly opts: SpawnerOptions) {}

  /** False once closed, or while the helper keeps dying: the caller should spawn by itself. */
  get usable(): boolean {
    const since = Date.now() - CRASH_WINDOW_MS;
    this.deaths = this.deaths.filter((t) => t > since);
    return !this.closed && this.deaths.length < CRASH_LIMIT;
  }

  /** Programs this helper is running now. */
  get running(): number {
    return this.pending.size;
  }

  /** The running helper's pid (for tests and profiles), if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  run(cmd: string, args: readonly string[], o: SpawnOptions = {}): Promise<SpawnOutcome> {
    if (this.closed) return Promise.reject(new SpawnHelperDied('spawn helper is closed'));
    const helper = this.ensure();
    const id = this.nextId++;
    const max = o.maxOutput ?? 16 * 1024 * 1024;
    const msg: RunMsg = { t: 'run', id, cmd, args: [...args], cwd: o.cwd, timeoutMs: o.timeoutMs, maxOutput: max };
    if (o.env) msg.env = Object.fromEntries(Object.entries(o.env).filter((e): e is [string, string] => e[1] !== undefined));
    if (o.input !== undefined) msg.input = (typeof o.input === 'string' ? Buffer.from(o.input) : o.input).toString('base64');
    return new Promise((resolve, reject) => {
      this.pending.set(id, { cmd, max, out: [], err: [], outLen: 0, errLen: 0, onSpawn: o.onSpawn, resolve, reject });
      this.hold(true);
      this.send(helper, msg);
    });
  }

  /** Stops the helper (its stdin closes; running programs keep running, as a daemon's exit leaves them). */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.child;
    if (!c) return;
    await new Promise<void>((resolve) => {
      c.once('close', () => resolve());
      c.stdin?.end();
    });
  }

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    const flags = this.opts.nodeArgs ?? HELPER_FLAGS;
    const c = spawn(process.execPath, [...flags, this.opts.script], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = c;
    c.stdin!.on('error', () => {}); // a dead helper shows as 'close' below
    c.on('error', () => {}); // likewise (e.g. the node binary vanished); 'close' follows
    createInterface({ input: c.stdout!, crlfDelay: Infinity }).on('line', (l) => this.onLine(l));
    c.on('close', (code, signal) => this.onDeath(c, code, signal));
    this.opts.log?.('spawn helper started', { pid: c.pid });
    if (this.pending.size === 0) this.hold(false);
    return c;
  }

  private onDeath(c: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === c) this.child = undefined;
    if (!this.closed) this.deaths.push(Date.now());
    const why = signal ? `signal ${signal}` : `exit ${code}`;
    if (!this.closed) this.opts.log?.('spawn helper died', { pid: c.pid, why, running: this.pending.size });
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new SpawnHelperDied(`spawn helper died (${why}) while running ${p.cmd}; its outcome is unknown`));
    }
  }

  private onLine(line: string): void {
    let m: FromHelper;
    try {
      m = JSON.parse(line) as FromHelper;
    } catch {
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.t === 'spawned') {
      p.onSpawn?.(m.pid, () => { if (this.child) this.send(this.child, { t: 'kill', id: m.id, signal: 'SIGKILL' }); });
    } else if (m.t === 'out') {
      const b = Buffer.from(m.data, 'base64');
      if (m.fd === 1 && p.outLen < p.max) { p.out.push(b); p.outLen += b.length; }
      if (m.fd === 2 && p.errLen < p.max) { p.err.push(b); p.errLen += b.length; }
    } else {
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.hold(false);
      if (m.t === 'error') p.reject(new SpawnError(m.message));
      else p.resolve({ code: m.code, signal: m.signal, stdout: Buffer.concat(p.out), stderr: Buffer.concat(p.err), timedOut: m.timedOut });
    }
  }

  private send(c: ChildProcess, m: ToHelper): void {
    c.stdin?.write(`${JSON.stringify(m)}\n`);
  }

  /** An idle helper must not keep a process (a CLI, a test) alive; a busy one must. */
  private hold(busy: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const h of [c, c.stdin, c.stdout] as ({ ref?: () => void; unref?: () => void } | null)[]) {
      if (busy) h?.ref?.();
      else h?.unref?.();
    }
  }
}

/** The helper script shipped next to the daemon's bundle (agents/dist/vzspawn.js), if present. */
export function bundledHelperScript(): string | undefined {
  const p = fileURLToPath(new URL('./vzspawn.js', import.meta.url));
  return existsSync(p) ? p : undefined;
}

/**
 * Several helpers, each call to the least busy usable one. A helper's event loop stops while each
 * child execs (libuv waits for it), and on a loaded box the child waits for a CPU first: with one
 * helper, the programs of parallel operations queue behind each other's exec; with a few, they overlap.
 */
export class SpawnerPool implements ProgramSpawner {
  private next = 0;

  constructor(readonly members: Spawner[]) {}

  get usable(): boolean {
    return this.members.some((m) => m.usable);
  }

  run(cmd: string, args: readonly string[], o?: SpawnOptions): Promise<SpawnOutcome> {
    const usable = this.members.filter((m) => m.usable);
    if (usable.length === 0) return Promise.reject(new SpawnHelperDied('no usable spawn helper'));
    this.next = (this.next + 1) % usable.length;
    // Least busy; among equals, rotate so idle helpers share the load.
    let pick = usable[this.next];
    for (const m of usable) if (m.running < pick.running) pick = m;
    return pick.run(cmd, args, o);
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.close()));
  }
}
