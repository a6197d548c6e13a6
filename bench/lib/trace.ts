// Counts the programs a process (and everything it forks) executes while `fn` runs, via strace.
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';

export async function traceExecs(pid: number, outFile: string, fn: () => Promise<unknown>): Promise<Map<string, number>> {
  const st = spawn('strace', ['-f', '-qq', '-e', 'trace=execve', '-o', outFile, '-p', String(pid)], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500)); // let strace attach to every thread
  try {
    await fn();
  } finally {
    st.kill('SIGINT');
    await new Promise((r) => st.once('close', r));
  }
  const counts = new Map<string, number>();
  for (const line of (await readFile(outFile, 'utf8').catch(() => '')).split('\n')) {
    const m = line.match(/execve\("([^"]+)"/);
    if (!m || / = -1 /.test(line)) continue; // PATH lookups that failed are not runs
    const prog = m[1].split('/').pop()!;
    counts.set(prog, (counts.get(prog) ?? 0) + 1);
  }
  await rm(outFile, { force: true });
  return counts;
}
