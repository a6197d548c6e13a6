// Messages between the daemon's Spawner (spawner.ts) and the spawn helper (spawn-helper.ts): one
// JSON object per line on the helper's stdin (requests) and stdout (replies). Bytes travel as base64
// so binary output and input survive; nothing here is a shell string.

/** Daemon -> helper: start a program. `env` absent means the helper's own (the daemon's at start). */
export interface RunMsg {
  t: 'run';
  id: number;
  cmd: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** base64 of the child's stdin; stdin is closed after it (or at once when absent). */
  input?: string;
  /** SIGKILL the child after this long and report `timedOut`. */
  timeoutMs?: number;
  /** Bytes per stream worth sending back; the rest is read and dropped here. */
  maxOutput?: number;
}

/** Daemon -> helper: signal a running child (a caller's `kill`, or the caller gave up). */
export interface KillMsg {
  t: 'kill';
  id: number;
  signal: NodeJS.Signals;
}

export type ToHelper = RunMsg | KillMsg;

/** Helper -> daemon. `spawned` comes first, then any `out`, then exactly one `exit` or `error`. */
export type FromHelper =
  | { t: 'spawned'; id: number; pid: number }
  | { t: 'out'; id: number; fd: 1 | 2; data: string }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }
  | { t: 'error'; id: number; message: string };
