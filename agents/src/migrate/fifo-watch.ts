// Watchdog for a host process reading a running VE's tree: a file the walk saw as regular may be a FIFO by the time it is opened.
import { readFileSync } from 'node:fs';

const childrenOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/** True when `pid` or a descendant sleeps in the kernel waiting for the other end of a FIFO (open without O_NONBLOCK). */
export function waitsOnFifo(pid: number): boolean {
  const stack = [pid];
  for (let n = 0; stack.length && n < 64; n++) {
    const p = stack.pop()!;
    try {
      if (readFileSync(`/proc/${p}/wchan`, 'utf8') === 'wait_for_partner') return true;
    } catch { /* gone */ }
    stack.push(...childrenOf(p));
  }
  return false;
}

/**
 * Watches `pid` (rsync reading a running VE as host root): once it has waited on a FIFO for `graceMs`,
 * `kill` is called and `tripped()` says so. rsync opens what its file list says is a regular file
 * without O_NONBLOCK, and a tenant that swaps that file for a FIFO would hold it there forever.
 */
export function fifoWatchdog(pid: number, kill: () => void, graceMs = 1000): { stop(): void; tripped(): boolean } {
  let since = 0;
  let hit = false;
  const timer = setInterval(() => {
    if (!waitsOnFifo(pid)) { since = 0; return; }
    since ||= Date.now();
    if (Date.now() - since >= graceMs) {
      hit = true;
      clearInterval(timer);
      kill();
    }
  }, 200);
  timer.unref();
  return { stop: () => clearInterval(timer), tripped: () => hit };
}
