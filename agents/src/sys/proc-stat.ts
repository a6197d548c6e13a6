// /proc/<pid>/stat, split after the command name (which may hold spaces and parentheses): field 3
// of proc(5) (state) is index 0, ppid index 1, starttime (field 22) index 19. undefined when the
// process is gone.
import { readFile } from 'node:fs/promises';

export async function procStat(pid: number): Promise<string[] | undefined> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return s === null ? undefined : s.slice(s.lastIndexOf(')') + 2).split(' ');
}
