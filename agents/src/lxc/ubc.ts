// vzubc-style beancounters from cgroup counters: resource, held, maxheld, barrier, limit, failcnt.
import { diskUsage } from '../storage/image';
import { vePaths } from '../sys/paths';
import { hostFacts } from './host-facts';
import { lxcInitPid } from './lxc-cli';
import { kv, num, payloadCgroupDir, readCg } from './cgroup-read';
import { readVe } from './ve-store';
import type { Runtime } from './runtime';

/** maxheld is null only where the kernel keeps no peak for that counter (vzctl prints '-'). */
export interface UbcRow { resource: string; held: number; maxheld: number | null; barrier: number | null; limit: number | null; failcnt: number | null }

const PAGE = 4096;
const UNLIMITED = null;
const pages = (b: number | undefined) => (b === undefined ? UNLIMITED : Math.floor(b / PAGE));
// cgroup v1 writes "no limit" as LONG_MAX rounded down to a page (9223372036854771712).
const limitOf = (b: number | undefined) => (b === undefined || b >= 2 ** 62 ? UNLIMITED : b);

/** Rows as /proc/user_beancounters would show them (memory in 4 KiB pages, kmemsize in bytes, disk in 1 KiB blocks). */
export async function veUbc(rt: Runtime, ctid: number): Promise<{ ctid: number; running: boolean; rows: UbcRow[] }> {
  const c = await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  const pid = await lxcInitPid(ctid, p.lxcpath);
  const numproc = c.numproc || null;
  const rows: UbcRow[] = !pid
    ? [
      { resource: 'numproc', held: 0, maxheld: 0, barrier: numproc, limit: numproc, failcnt: 0 },
      { resource: 'kmemsize', held: 0, maxheld: 0, barrier: null, limit: null, failcnt: 0 },
      { resource: 'physpages', held: 0, maxheld: 0, barrier: 0, limit: c.ram / PAGE, failcnt: 0 },
      { resource: 'swappages', held: 0, maxheld: 0, barrier: 0, limit: c.swap / PAGE, failcnt: 0 },
      { resource: 'oomguarpages', held: 0, maxheld: 0, barrier: c.ram / PAGE, limit: null, failcnt: 0 },
    ]
    : hostFacts().version === 'v1' ? await v1Rows(pid, c.swap, c.ram, numproc) : await v2Rows(pid, c.swap, c.ram, numproc);
  // A filesystem keeps no high-water mark of its usage: diskspace and diskinodes have no maxheld.
  const du = await diskUsage(p.root);
  rows.push({ resource: 'diskspace', held: du ? Math.floor(du.usedBytes / 1024) : 0, maxheld: null, barrier: c.diskspace / 1024, limit: c.diskspace / 1024, failcnt: null });
  rows.push({ resource: 'diskinodes', held: du?.usedInodes ?? 0, maxheld: null, barrier: c.diskinodes, limit: c.diskinodes, failcnt: null });
  return { ctid, running: !!pid, rows };
}

async function v1Rows(pid: number, swap: number, ram: number, numproc: number | null): Promise<UbcRow[]> {
  const pidsDir = await payloadCgroupDir(pid, 'pids');
  const mem = await payloadCgroupDir(pid, 'memory');
  const cg = async (f: string) => num(await readCg(mem, f));
  const usage = (await cg('memory.usage_in_bytes')) ?? 0;
  const memsw = await cg('memory.memsw.usage_in_bytes');
  return [
    // Kernels with pids.peak keep it for v1 too (this one does); older ones keep no peak (then '-').
    { resource: 'numproc', held: num(await readCg(pidsDir, 'pids.current')) ?? 0, maxheld: num(await readCg(pidsDir, 'pids.peak')) ?? null,
      barrier: numproc, limit: numproc, failcnt: kv(await readCg(pidsDir, 'pids.events')).get('max') ?? 0 },
    { resource: 'kmemsize', held: (await cg('memory.kmem.usage_in_bytes')) ?? 0, maxheld: (await cg('memory.kmem.max_usage_in_bytes')) ?? null,
      barrier: limitOf(await cg('memory.kmem.limit_in_bytes')), limit: limitOf(await cg('memory.kmem.limit_in_bytes')), failcnt: (await cg('memory.kmem.failcnt')) ?? 0 },
    { resource: 'physpages', held: pages(usage)!, maxheld: pages(await cg('memory.max_usage_in_bytes')),
      barrier: 0, limit: pages(await cg('memory.limit_in_bytes')), failcnt: (await cg('memory.failcnt')) ?? 0 },
    // v1 keeps peaks of memory and of memory+swap, never of swap alone: swappages has no maxheld.
    { resource: 'swappages', held: memsw === undefined ? 0 : pages(Math.max(0, memsw - usage))!, maxheld: null,
      barrier: 0, limit: swap / PAGE, failcnt: (await cg('memory.memsw.failcnt')) ?? 0 },
    // OpenVZ's oomguarpages holds RAM plus swap, exactly what memsw counts (and keeps a peak of);
    // it counted OOM kills as its failures.
    { resource: 'oomguarpages', held: pages(memsw ?? usage)!, maxheld: pages(memsw === undefined ? await cg('memory.max_usage_in_bytes') : await cg('memory.memsw.max_usage_in_bytes')),
      barrier: ram / PAGE, limit: null, failcnt: kv(await readCg(mem, 'memory.oom_control')).get('oom_kill') ?? 0 },
  ];
}

async function v2Rows(pid: number, swap: number, ram: number, numproc: number | null): Promise<UbcRow[]> {
  const dir = await payloadCgroupDir(pid, '');
  const cg = async (f: string) => num(await readCg(dir, f));
  const ev = kv(await readCg(dir, 'memory.events'));
  const current = (await cg('memory.current')) ?? 0;
  const swapCur = (await cg('memory.swap.current')) ?? 0;
  return [
    { resource: 'numproc', held: (await cg('pids.current')) ?? 0, maxheld: (await cg('pids.peak')) ?? null,
      barrier: numproc, limit: numproc, failcnt: kv(await readCg(dir, 'pids.events')).get('max') ?? 0 },
    // v2 accounts kernel memory inside memory.current and keeps no separate peak of it.
    { resource: 'kmemsize', held: kv(await readCg(dir, 'memory.stat')).get('kernel') ?? 0, maxheld: null, barrier: null, limit: null, failcnt: 0 },
    { resource: 'physpages', held: pages(current)!, maxheld: pages(await cg('memory.peak')),
      barrier: 0, limit: pages(await cg('memory.max')), failcnt: ev.get('max') ?? 0 },
    // memory.swap.peak exists on newer kernels only; without it swappages has no maxheld.
    { resource: 'swappages', held: pages(swapCur)!, maxheld: pages(await cg('memory.swap.peak')),
      barrier: 0, limit: swap / PAGE, failcnt: kv(await readCg(dir, 'memory.swap.events')).get('max') ?? 0 },
    // v2 keeps peaks of memory and of swap apart, never of their sum: oomguarpages has no maxheld.
    { resource: 'oomguarpages', held: pages(current + swapCur)!, maxheld: null, barrier: ram / PAGE, limit: null, failcnt: ev.get('oom_kill') ?? 0 },
  ];
}
