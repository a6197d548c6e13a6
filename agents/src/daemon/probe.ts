import { existsSync } from 'node:fs';
import { runningFromSockets } from '../lxc/ve-feed';
import { readFile, readdir, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from '../sys/exec';
import { criuAbilities, criuPath, type CriuAbilities } from '../criu/bin';

const SBIN_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Full path of a program if it is on PATH or in the usual sbin dirs. */
export function which(prog: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SBIN_PATH];
  for (const d of dirs) {
    const p = path.join(d, prog);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export async function lxcVersion(): Promise<string> {
  const bin = which('lxc-start');
  if (!bin) return 'absent';
  try {
    const r = await run(bin, ['--version'], { timeoutMs: 10_000, allowFail: true });
    return r.code === 0 ? r.stdout.trim() : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const cgroupVersion = (): 'v1' | 'v2' => (existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1');

export type CriuStatus = { usable: boolean; reason?: string } & Partial<CriuAbilities>;

// CRIU's wrapper lines: true but say nothing about the cause.
const GENERIC = [/exited, status=\d+/, /Could not initialize kernel features detection/i, /^Looks good/i];
const stripLocation = (l: string) => l.replace(/^Error \([^)]*\):\s*/, '');

/**
 * The most informative line of a failed `criu check`: its last specific `Error` line (e.g.
 * "kerndat_vdso_fill_symtable failed when initializing kerndat."), with the first specific error
 * in brackets when that is a different, earlier cause (e.g. "vdso: Unexpected rt vDSO area bounds").
 */
export function criuReason(output: string, code: number | null): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /^Error\b/.test(l) || /\berror\b/i.test(l));
  const specific = errors.map(stripLocation).filter((l) => !GENERIC.some((g) => g.test(l)));
  const last = specific.at(-1);
  if (!last) return stripLocation(errors.at(-1) ?? lines.at(-1) ?? `criu check exited ${code}`);
  const first = specific[0];
  return first !== last ? `${last} (${first})` : last;
}

let criuCache: Promise<CriuStatus> | undefined;

/** `criu check` once per daemon lifetime (it takes seconds); the reason is its most informative error line. */
export function criuStatus(): Promise<CriuStatus> {
  criuCache ??= (async (): Promise<CriuStatus> => {
    const bin = criuPath();
    if (!bin) return { usable: false, reason: 'criu is not installed' };
    try {
      const r = await run(bin, ['check'], { timeoutMs: 30_000, allowFail: true });
      if (r.timedOut) return { usable: false, reason: 'criu check timed out', path: bin };
      if (r.code !== 0) return { usable: false, reason: criuReason(`${r.stderr}\n${r.stdout}`, r.code), path: bin };
      // A passing check is not enough (4.1.1 checks fine here and hangs in a dump): dump and restore for real.
      const a = await criuAbilities(bin);
      return a.dump && a.restore ? { usable: true, ...a } : { usable: false, reason: a.notes[0], ...a };
    } catch (e) {
      return { usable: false, reason: `criu check could not run: ${(e as Error).message}` };
    }
  })();
  return criuCache;
}

export function storageBackends(): string[] {
  const out: string[] = [];
  if (which('mkfs.ext4') && which('losetup')) out.push('ext4-image');
  out.push('dir');
  return out;
}

/** MemTotal / MemAvailable from /proc/meminfo, in bytes. */
export async function memInfo(): Promise<{ totalBytes: number; availableBytes: number }> {
  const text = await readFile('/proc/meminfo', 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { totalBytes: kb('MemTotal'), availableBytes: kb('MemAvailable') };
}

export async function diskInfo(p: string): Promise<{ path: string; totalBytes: number; freeBytes: number }> {
  const s = await statfs(p);
  return { path: p, totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
}

export async function loadAvg(): Promise<[number, number, number]> {
  const [a, b, c] = (await readFile('/proc/loadavg', 'utf8')).split(/\s+/).map(Number);
  return [a, b, c];
}

export async function uptimeSeconds(): Promise<number> {
  return Number((await readFile('/proc/uptime', 'utf8')).split(/\s+/)[0]);
}

export const cpuCount = (): number => os.cpus().length;

/** VEs known on this node: <vzroot>/conf/<ctid>.conf; running ones from lxc-ls on our lxcpath. */
export async function veCounts(vzroot: string, lxcpath: string): Promise<{ total: number; running: number }> {
  const confs = await readdir(path.join(vzroot, 'conf')).catch(() => [] as string[]);
  const total = confs.filter((f) => /^\d+\.conf$/.test(f)).length;
  // The heartbeat asks every 5 s: the socket table is one read, lxc-ls one query per container.
  const sockets = await runningFromSockets(lxcpath);
  if (sockets) return { total, running: sockets.size };
  let running = 0;
  const bin = which('lxc-ls');
  if (bin && existsSync(lxcpath)) {
    const r = await run(bin, ['--lxcpath', lxcpath, '--running', '-1'], { timeoutMs: 15_000, allowFail: true }).catch(() => undefined);
    if (r?.code === 0) running = r.stdout.split('\n').filter((l) => l.trim()).length;
  }
  return { total, running };
}
