// /proc/<pid>/stat, split after the command name (which may hold spaces and parentheses): field 3
// of proc(5) (state) is index 0, ppid index 1, starttime (field 22) index 19. undefined when the
// process is gone.
import { readFile } from 'node:fs/promises';

export async function procStat(pid: number): Promise<string[] | undefined> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return s === null ? undefined : s.slice(s.lastIndexOf(')') + 2).split(' ');
}

const PF_EXITING = 0x4;
const gone = (f: string[] | undefined) => !f || f[0] === 'Z' || f[0] === 'X';

/** True once `pid` has exited (gone or a zombie). For a VE's init: its PID namespace is empty by then. */
export async function processExited(pid: number): Promise<boolean> {
  return gone(await procStat(pid));
}

/** Exited, or already in its exit path (PF_EXITING in field 9, flags): its end can no longer be stopped. */
export async function processEnding(pid: number): Promise<boolean> {
  const f = await procStat(pid);
  return gone(f) || (Number(f![6]) & PF_EXITING) !== 0;
}
