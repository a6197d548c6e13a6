// Issue 11: CPU of one usage sampling pass at N VEs. Each "VE" is what the sampler reads: a conf
// file, payload cgroups in every v1 controller (real kernel files, no processes in them), a veth
// pair on the host and a mounted filesystem (tmpfs) at its root. No containers run, so this
// measures the sampler itself, not the VEs' workload. Both ends of each veth stay on the host,
// so /proc/net/dev has twice the interfaces a real node has.
// Usage: npx tsx bench/usage-sampler.ts --n 200 [--passes 20] [--base 23000] [--tmp /tmp/use-bench-]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { flag } from '@/agents/src/daemon/config';
import { nextTurn, samplePass } from '@/agents/src/metrics/sampler';
import { CgroupReader } from '@/agents/src/metrics/cgroup';
import { hostFacts } from '@/agents/src/lxc/host-facts';
import { Spool } from '@/agents/src/metrics/spool';
import { OomLog } from '@/agents/src/metrics/kmsg';

const n = Number(flag(process.argv, 'n') ?? 200);
const passes = Number(flag(process.argv, 'passes') ?? 20);
// First ctid and temp-dir prefix: two people benchmarking on one host pick different ones.
const base = Number(flag(process.argv, 'base') ?? 23_000);
const CTRLS = ['cpu', 'cpuacct', 'memory', 'blkio', 'pids'];
const vzroot = mkdtempSync(flag(process.argv, 'tmp') ?? '/tmp/use-bench-');
const ctids = Array.from({ length: n }, (_, i) => base + i);
const cg = (ctrl: string, ctid: number) => `/sys/fs/cgroup/${ctrl}/lxc.payload.${ctid}`;
const ipBatch = (lines: string[]) => spawnSync('ip', ['-force', '-batch', '-'], { input: lines.join('\n') + '\n' });

function cleanup() {
  for (const c of ctids) {
    spawnSync('umount', ['-l', path.join(vzroot, 'root', String(c))]);
    for (const ctrl of CTRLS) { try { rmdirSync(cg(ctrl, c)); } catch { /* not made */ } }
  }
  ipBatch(ctids.map((c) => `link del veth${c}`));
  rmSync(vzroot, { recursive: true, force: true });
}
process.on('SIGINT', () => { cleanup(); process.exit(130); });

try {
  const t0 = Date.now();
  mkdirSync(path.join(vzroot, 'conf'));
  for (const c of ctids) {
    writeFileSync(path.join(vzroot, 'conf', `${c}.conf`), `VEID="${c}"\n`);
    for (const ctrl of CTRLS) mkdirSync(cg(ctrl, c));
    const root = path.join(vzroot, 'root', String(c));
    mkdirSync(root, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', root]);
  }
  ipBatch(ctids.map((c) => `link add veth${c} type veth peer name vusp${c}`));
  console.log(`set up ${n} VEs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const spool = new Spool(vzroot);
  const oom = new OomLog();
  const cgroups = new CgroupReader(hostFacts().version === 'v2');
  const cpu: number[] = [];
  const wall: number[] = [];
  const hold: number[] = []; // the longest the pass kept the event loop, between two of its turns
  for (let i = 0; i < passes + 2; i++) {
    let longest = 0;
    let since = performance.now();
    const turn = async () => { longest = Math.max(longest, performance.now() - since); await nextTurn(); since = performance.now(); };
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await samplePass(spool, vzroot, oom, cgroups, 10_000, Date.now(), turn);
    const d = process.cpuUsage(c0);
    longest = Math.max(longest, performance.now() - since);
    if (i >= 2) { cpu.push((d.user + d.system) / 1000); wall.push(performance.now() - w0); hold.push(longest); } // 2 warm-up passes
  }
  oom.close();
  const fdsHeld = cgroups.fdsHeld; // cgroup files the sampler keeps open between passes
  cgroups.close();
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const batchBytes = statSync(path.join(spool.dir, `${spool.state.seq}.json`)).size;
  const stateBytes = statSync(path.join(vzroot, 'usage', 'state.json')).size;
  const result = {
    n, passes, cpuMsPerPassMedian: +med(cpu).toFixed(2), cpuMsPerPassMax: +Math.max(...cpu).toFixed(2), wallMsMedian: +med(wall).toFixed(2), longestHoldMsMedian: +med(hold).toFixed(2), longestHoldMsMax: +Math.max(...hold).toFixed(2),
    pctOfOneCoreAt10s: +((med(cpu) / 10_000) * 100).toFixed(3), spoolBatchBytes: batchBytes, stateBytes, fdsHeld,
    uptime: execFileSync('uptime', { encoding: 'utf8' }).trim(), date: new Date().toISOString(),
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(path.join(import.meta.dirname, 'results', `usage-sampler-${n}-${result.date.slice(0, 19).replace(/:/g, '-')}.json`), JSON.stringify({ command: process.argv.slice(1).join(' '), ...result }, null, 2));
} finally {
  cleanup();
}
