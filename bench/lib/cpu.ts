// CPU-bound work (the same busybox binary, same script) on the host and inside a VE, timed by
// busybox `time -p` inside, so the cost of entering the VE (lxc-attach) is not counted.
import { run, type RunResult } from '@/agents/src/sys/exec';

/** ~2 s on this machine: sha256 of 256 MiB from /dev/zero, then an awk arithmetic loop. */
export const CPU_SCRIPT =
  '/bin/busybox dd if=/dev/zero bs=1M count=256 2>/dev/null | /bin/busybox sha256sum >/dev/null; ' +
  '/bin/busybox awk "BEGIN{s=0; for(i=0;i<4000000;i++) s+=i%7; print s}" >/dev/null';

export const TIMED_ARGV = ['/bin/busybox', 'time', '-p', '/bin/busybox', 'sh', '-c', CPU_SCRIPT];

export interface CpuSample { wallS: number; cpuS: number }

export function parseTimeP(r: RunResult): CpuSample {
  if (r.code !== 0) throw new Error(`cpu workload failed (${r.code}): ${r.stderr.trim().slice(-300)}`);
  const g = (k: string) => Number(r.stderr.match(new RegExp(`^${k} ([0-9.]+)`, 'm'))?.[1]);
  const s = { wallS: g('real'), cpuS: g('user') + g('sys') };
  if (!Number.isFinite(s.wallS) || !Number.isFinite(s.cpuS)) throw new Error(`no time -p output: ${r.stderr.slice(-300)}`);
  return s;
}

export async function cpuOnHost(): Promise<CpuSample> {
  return parseTimeP(await run(TIMED_ARGV[0], TIMED_ARGV.slice(1), { allowFail: true, timeoutMs: 120_000 }));
}

/** Inside a running container (any lxcpath), as its root, with a clean environment. */
export async function cpuInContainer(lxcpath: string, name: number): Promise<CpuSample> {
  const r = await run('lxc-attach', ['-n', String(name), '-P', lxcpath, '--clear-env', '--', ...TIMED_ARGV], { allowFail: true, timeoutMs: 120_000 });
  return parseTimeP(r);
}
