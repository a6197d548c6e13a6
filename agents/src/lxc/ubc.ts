// vzubc-style beancounters from cgroup counters: resource, held, maxheld, barrier, limit, failcnt.
import { diskUsage } from '../storage/image';
import { vePaths } from '../sys/paths';
import { hostFacts } from './host-facts';
import { lxcInitPid } from './lxc-cli';
import { kv, num, payloadCgroupDir, readCg } from './cgroup-read';
import { readVe } from './ve-store';
import type { Runtime } from './runtime';

export interface UbcRow { resource: string; held: number; maxheld: number | null; barrier: number | null; limit: number | null; failcnt: number | null }

const PAGE = 4096;
const UNLIMITED = null;
const pages = (b: number | undefined) => (b === undefined ? UNLIMITED : Math.floor(b / PAGE));

/** Rows as /proc/user_beancounters would show them (memory in 4 KiB pages, disk in 1 KiB blocks). */
export async function veUbc(rt: Runtime, ctid: number): Promise<{ ctid: number; running: boolean; rows: UbcRow[] }> {
  const c = await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  const pid = await lxcInitPid(ctid, p.lxcpath);
  const rows: UbcRow[] = [];
  const numproc = c.numproc || null;
  if (!pid) {
    rows.push({ resource: 'numproc', held: 0, maxheld: 0, barrier: numproc, limit: numproc, failcnt: 0 });
    rows.push({ resource: 'physpages', held: 0, maxheld: 0, barrier: 0, limit: c.ram / PAGE, failcnt: 0 });
    rows.push({ resource: 'swappages', held: 0, maxheld: 0, barrier: 0, limit: c.swap / PAGE, failcnt: 0 });
    rows.push({ resource: 'oomguarpages', held: 0, maxheld: 0, barrier: c.ram / PAGE, limit: null, failcnt: 0 });
  } else if (hostFacts().version === 'v1') {
    const pidsDir = await payloadCgroupDir(pid, 'pids');
    const mem = await payloadCgroupDir(pid, 'memory');
    rows.push({
      resource: 'numproc', held: num(await readCg(pidsDir, 'pids.current')) ?? 0, maxheld: null,
      barrier: numproc, limit: numproc, failcnt: kv(await readCg(pidsDir, 'pids.events')).get('max') ?? 0,
    });
    const usage = num(await readCg(mem, 'memory.usage_in_bytes')) ?? 0;
    rows.push({
      resource: 'physpages', held: pages(usage)!, maxheld: pages(num(await readCg(mem, 'memory.max_usage_in_bytes'))),
      barrier: 0, limit: pages(num(await readCg(mem, 'memory.limit_in_bytes'))), failcnt: num(await readCg(mem, 'memory.failcnt')) ?? 0,
    });
    const sw = num(await readCg(mem, 'memory.memsw.usage_in_bytes'));
    rows.push({
      resource: 'swappages', held: sw === undefined ? 0 : pages(Math.max(0, sw - usage))!, maxheld: null,
      barrier: 0, limit: c.swap / PAGE, failcnt: num(await readCg(mem, 'memory.memsw.failcnt')) ?? 0,
    });
    // OpenVZ counted OOM kills as oomguarpages failures.
    rows.push({ resource: 'oomguarpages', held: pages(usage)!, maxheld: null, barrier: c.ram / PAGE, limit: null, failcnt: kv(await readCg(mem, 'memory.oom_control')).get('oom_kill') ?? 0 });
  } else {
    const dir = await payloadCgroupDir(pid, '');
    rows.push({
      resource: 'numproc', held: num(await readCg(dir, 'pids.current')) ?? 0, maxheld: num(await readCg(dir, 'pids.peak')) ?? null,
      barrier: numproc, limit: numproc, failcnt: kv(await readCg(dir, 'pids.events')).get('max') ?? 0,
    });
    const ev = kv(await readCg(dir, 'memory.events'));
    rows.push({
      resource: 'physpages', held: pages(num(await readCg(dir, 'memory.current')) ?? 0)!, maxheld: pages(num(await readCg(dir, 'memory.peak'))),
      barrier: 0, limit: pages(num(await readCg(dir, 'memory.max'))), failcnt: ev.get('max') ?? 0,
    });
    rows.push({
      resource: 'swappages', held: pages(num(await readCg(dir, 'memory.swap.current')) ?? 0)!, maxheld: null,
      barrier: 0, limit: c.swap / PAGE, failcnt: kv(await readCg(dir, 'memory.swap.events')).get('max') ?? 0,
    });
    rows.push({ resource: 'oomguarpages', held: pages(num(await readCg(dir, 'memory.current')) ?? 0)!, maxheld: null, barrier: c.ram / PAGE, limit: null, failcnt: ev.get('oom_kill') ?? 0 });
  }
  const du = await diskUsage(p.root);
  rows.push({ resource: 'diskspace', held: du ? Math.floor(du.usedBytes / 1024) : 0, maxheld: null, barrier: c.diskspace / 1024, limit: c.diskspace / 1024, failcnt: null });
  rows.push({ resource: 'diskinodes', held: du?.usedInodes ?? 0, maxheld: null, barrier: c.diskinodes, limit: c.diskinodes, failcnt: null });
  return { ctid, running: !!pid, rows };
}
