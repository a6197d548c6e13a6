// Kills a process and all its descendants (host pids). The process lxc-attach starts in a VE is a direct
// child of lxc-attach (CLONE_PARENT), so this ends a timed-out VE command without a `timeout` inside the VE.
import { readdir, readFile } from 'node:fs/promises';

async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const out: number[] = [];
  for (const t of tasks) {
    const s = await readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '');
    for (const c of s.split(' ')) if (c.trim()) out.push(Number(c));
  }
  return out;
}

const signal = (pid: number, sig: NodeJS.Signals) => { try { process.kill(pid, sig); } catch { /* gone */ } };

/**
 * Stops the tree top-down (a stopped process cannot fork any more), walks it again until no new
 * process shows up, then SIGKILLs every one. Processes that left the tree (double fork) are not found.
 */
export async function killTree(root: number): Promise<void> {
  const seen = new Set<number>();
  let frontier = [root];
  for (let pass = 0; frontier.length && pass < 50; pass++) {
    for (const p of frontier) { seen.add(p); signal(p, 'SIGSTOP'); }
    const next: number[] = [];
    for (const p of frontier) for (const c of await childrenOf(p)) if (!seen.has(c)) next.push(c);
    frontier = next;
  }
  for (const p of seen) signal(p, 'SIGKILL');
}

