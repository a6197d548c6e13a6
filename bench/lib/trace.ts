// What a process (and everything it forks) executes while `fn` runs, via strace: program counts, or
// each program's own running time (its first execve to its exit).
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';

/** strace's lines (pid-prefixed, with -ttt times) for everything `pid` (or each of a list) forks and executes while `fn` runs. */
async function straceLines(pid: number | number[], outFile: string, fn: () => Promise<unknown>): Promise<string[]> {
  const pids = [pid].flat().flatMap((p) => ['-p', String(p)]);
  // -q (not -qq): keeps the "+++ exited" lines that end a span.
  const st = spawn('strace', ['-f', '-q', '-ttt', '-e', 'trace=execve', '-e', 'signal=none', '-o', outFile, ...pids], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500)); // let strace attach to every thread
  try {
    await fn();
  } finally {
    // strace can hang detaching from a container's tasks it followed (seen at 2,000 VEs): killed, the kernel detaches them.
    const closed = new Promise((r) => st.once('close', r));
    st.kill('SIGINT');
    const late = setTimeout(() => st.kill('SIGKILL'), 5000);
    await closed;
    clearTimeout(late);
  }
  const text = await readFile(outFile, 'utf8').catch(() => '');
  await rm(outFile, { force: true });
  return text.split('\n');
}

const execOf = (line: string) => (/ = -1 /.test(line) ? undefined : line.match(/execve\("([^"]+)"/)?.[1].split('/').pop()); // failed PATH lookups are no runs

export async function traceExecs(pid: number, outFile: string, fn: () => Promise<unknown>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of await straceLines(pid, outFile, fn)) {
    const prog = execOf(line);
    if (prog) counts.set(prog, (counts.get(prog) ?? 0) + 1);
  }
  return counts;
}

/**
 * Each program run while `fn` runs, with its wall time in ms: from the process's first execve to its exit,
 * named by its last execve (a shell that execs its program is that program). Runs still alive at the end
 * (a container's init, a monitor) are left out. A daemon that spawns through a helper it forked earlier
 * (vzagentd's spawner) needs the helper's pid in the list too.
 */
export async function traceExecSpans(pid: number | number[], outFile: string, fn: () => Promise<unknown>): Promise<Map<string, number[]>> {
  const open = new Map<string, { prog: string; t0: number }>();
  const spans = new Map<string, number[]>();
  for (const line of await straceLines(pid, outFile, fn)) {
    const m = line.match(/^(\d+)\s+(\d+\.\d+)\s/);
    if (!m) continue;
    const [p, t] = [m[1], Number(m[2]) * 1000];
    const prog = execOf(line);
    if (prog) open.set(p, { prog, t0: open.get(p)?.t0 ?? t });
    else if (/\+\+\+ (exited|killed)/.test(line) && open.has(p)) {
      const s = open.get(p)!;
      open.delete(p);
      spans.set(s.prog, [...(spans.get(s.prog) ?? []), t - s.t0]);
    }
  }
  return spans;
}
