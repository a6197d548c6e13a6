// Per-VE Prometheus series (a separate scrape: one series set per VE, so a big fleet can be scraped
// less often than the panel). State and limits come from the Ve rows; usage (cpu, memory, traffic)
// from a source the usage collector registers, so this file does not depend on how usage is stored.
import { Counter, Gauge, Registry } from 'prom-client';
import type { PrismaClient } from '@/server/db/client';

/** What the panel knows of one VE's use: gauges at the last sample, traffic as totals that only grow (resets allowed). */
export interface VeUsage {
  cpuPercent?: number;
  memoryBytes?: number;
  diskBytes?: number;
  netRxBytesTotal?: number;
  netTxBytesTotal?: number;
}
export type VeUsageSource = (prisma: PrismaClient) => Promise<Map<string, VeUsage>>;

let usageSource: VeUsageSource | undefined;

/** Called once by the usage collector at start: where the per-VE cpu, memory and traffic figures come from. */
export function setVeUsageSource(source: VeUsageSource | undefined): void {
  usageSource = source;
}

const MiB = 1024 * 1024;
const num = (l: unknown, k: string) => {
  const v = l && typeof l === 'object' ? (l as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

/** Renders every VE's series; one query for the rows, one call to the usage source. */
export async function renderVeMetrics(prisma: PrismaClient): Promise<string> {
  const r = new Registry();
  const labelNames = ['ctid', 'node'] as const;
  const g = (name: string, help: string) => new Gauge({ name, help, labelNames, registers: [r] });
  const info = new Gauge({ name: 'vzpanel_ve_info', help: 'One per VE: its host name, plan and state as labels', labelNames: ['ctid', 'node', 'hostname', 'plan', 'state'] as const, registers: [r] });
  const running = g('vzpanel_ve_running', '1 while the panel records the VE as running');
  const ram = g('vzpanel_ve_limit_ram_bytes', 'Memory limit');
  const disk = g('vzpanel_ve_limit_disk_bytes', 'Disk size limit');
  const bw = g('vzpanel_ve_limit_bandwidth_bits_per_second', 'Network rate cap each way (0 = none)');
  const cpu = g('vzpanel_ve_cpu_percent', 'CPU use at the last sample, percent of one CPU');
  const mem = g('vzpanel_ve_memory_bytes', 'Memory in use at the last sample');
  const used = g('vzpanel_ve_disk_used_bytes', 'Disk in use at the last sample');
  const rx = new Counter({ name: 'vzpanel_ve_network_receive_bytes_total', help: 'Bytes the VE received', labelNames, registers: [r] });
  const tx = new Counter({ name: 'vzpanel_ve_network_transmit_bytes_total', help: 'Bytes the VE sent', labelNames, registers: [r] });

  const [rows, usage] = await Promise.all([
    prisma.ve.findMany({ select: { id: true, ctid: true, hostname: true, state: true, limits: true, node: { select: { name: true } }, plan: { select: { name: true } } }, orderBy: { ctid: 'asc' } }),
    usageSource ? usageSource(prisma) : Promise.resolve(new Map<string, VeUsage>()),
  ]);
  for (const v of rows) {
    const l = { ctid: String(v.ctid), node: v.node.name };
    info.set({ ...l, hostname: v.hostname, plan: v.plan?.name ?? '', state: v.state }, 1);
    running.set(l, v.state === 'running' ? 1 : 0);
    const ramMiB = num(v.limits, 'ram');
    const diskMiB = num(v.limits, 'diskspace');
    const mbit = num(v.limits, 'bandwidth');
    if (ramMiB !== undefined) ram.set(l, ramMiB * MiB);
    if (diskMiB !== undefined) disk.set(l, diskMiB * MiB);
    if (mbit !== undefined) bw.set(l, mbit * 1_000_000);
    const u = usage.get(v.id);
    if (!u) continue;
    if (u.cpuPercent !== undefined) cpu.set(l, u.cpuPercent);
    if (u.memoryBytes !== undefined) mem.set(l, u.memoryBytes);
    if (u.diskBytes !== undefined) used.set(l, u.diskBytes);
    if (u.netRxBytesTotal !== undefined) rx.inc(l, u.netRxBytesTotal);
    if (u.netTxBytesTotal !== undefined) tx.inc(l, u.netTxBytesTotal);
  }
  return r.metrics();
}
