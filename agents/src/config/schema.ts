// Declarative VE config: one zod schema with min/default/description per key (the source of every rendered file).
import { z } from 'zod';
import { ctidSchema, hostnameSchema, ipCidrSchema, ipSchema, macSchema, safeTextSchema } from './validate';
import { TEMPLATE_NAME_RE } from '../templates/manifest';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
export const IDMAP_SIZE = 65_536;
// Memory is kept in whole pages and disk in whole MiB so the vzctl-style conf round-trips exactly.
const toPage = (v: number) => Math.ceil(v / 4096) * 4096;
const toMiB = (v: number) => Math.ceil(v / MiB) * MiB;

/** Network rates are bits/s (as port speeds are sold); 0 = none, else 64 kbit/s .. 100 Gbit/s (tc cannot shape finer or faster sensibly). */
export const MIN_NET_RATE = 64_000;
export const MAX_NET_RATE = 100_000_000_000;
export const netRate = z.number().int().min(0).max(MAX_NET_RATE)
  .refine((v) => v === 0 || v >= MIN_NET_RATE, `0 (none) or at least ${MIN_NET_RATE} bits/s`);

export const veLimitsSchema = z.object({
  ram: z.number().int().min(16 * MiB).max(2 ** 50).transform(toPage).default(256 * MiB).describe('memory limit in bytes (OpenVZ --ram; memory.limit_in_bytes / memory.max)'),
  swap: z.number().int().min(0).max(2 ** 50).transform(toPage).default(0).describe('swap allowed on top of ram, bytes (OpenVZ --swap; memsw = ram + swap / memory.swap.max)'),
  cpuunits: z.number().int().min(8).max(500_000).default(1000).describe('relative CPU weight (OpenVZ --cpuunits; cpu.shares = units*1024/1000, cpu.weight = units/10)'),
  cpulimit: z.number().int().min(0).max(100_000).default(0).describe('CPU cap in percent of one core, 0 = none (OpenVZ --cpulimit; CFS quota)'),
  cpus: z.number().int().min(0).max(4096).default(0).describe('number of CPUs, 0 = all (a cpuset of that many CPUs and a CFS quota of cpus*100 %)'),
  numproc: z.number().int().min(0).max(4_194_304).default(1024).describe('max tasks (processes+threads), 0 = unlimited (OpenVZ --numproc; pids.max)'),
  diskspace: z.number().int().min(32 * MiB).max(2 ** 50).transform(toMiB).default(2 * GiB).describe('root filesystem size, bytes (ext4 image size; grows online)'),
  diskinodes: z.number().int().min(1024).max(2 ** 32 - 1).default(200_000).describe('inode count of the root filesystem (mkfs.ext4 -N)'),
  ioprio: z.number().int().min(0).max(7).default(4).describe('I/O priority 0..7 (OpenVZ --ioprio; blkio/io weight where the kernel has it)'),
  iolimit: z.number().int().min(0).max(2 ** 40).default(0).describe('disk throughput cap in bytes/s for reads and writes each, 0 = none (OpenVZ --iolimit; blkio throttle / io.max on the VE\'s loop device)'),
  iopslimit: z.number().int().min(0).max(10_000_000).default(0).describe('disk operations cap per second for reads and writes each, 0 = none (OpenVZ --iopslimit)'),
  bandwidth: netRate.default(0).describe('network rate cap in bits/s, each direction (to and from the VE) on its own, 0 = none (tc on the host side of the veth)'),
});
export type VeLimits = z.infer<typeof veLimitsSchema>;

export const veConfigSchema = z.object({
  ctid: ctidSchema,
  hostname: hostnameSchema.default('localhost'),
  ostemplate: z.string().regex(TEMPLATE_NAME_RE).describe('OS template the root filesystem came from'),
  ips: z.array(ipCidrSchema).max(64).default([]).describe('static addresses with prefix; the only source addresses the VE may use'),
  gateway: ipSchema.optional().describe('default IPv4 gateway'),
  gateway6: ipSchema.optional().describe('default IPv6 gateway'),
  nameservers: z.array(ipSchema).max(3).default([]).describe('resolv.conf nameservers'),
  searchdomain: hostnameSchema.optional().describe('resolv.conf search domain'),
  mac: macSchema.optional().describe('MAC of eth0; derived from the ctid when absent (stable across migration)'),
  onboot: z.boolean().default(false).describe('start when the agent starts (OpenVZ ONBOOT)'),
  haltsignal: z.enum(['SIGPWR', 'SIGRTMIN+3', 'SIGTERM']).default('SIGPWR').describe('signal asking the VE\'s init to shut down (busybox/sysvinit: SIGPWR, systemd: SIGRTMIN+3)'),
  description: safeTextSchema.optional(),
  idmap: z.object({
    uid: z.number().int().min(1).max(2 ** 32 - IDMAP_SIZE - 1).describe('first host uid of this VE\'s 65,536 ids'),
    gid: z.number().int().min(1).max(2 ** 32 - IDMAP_SIZE - 1).describe('first host gid of this VE\'s 65,536 ids'),
  }).describe('the VE\'s own uid/gid range, allocated disjoint per VE from root\'s /etc/subuid range'),
  ...veLimitsSchema.shape,
  throttle: netRate.default(0).describe('quota throttle in bits/s set by ve.throttle (not by ve.set), 0 = none; the VE runs at the lower of bandwidth and throttle'),
});
export type VeConfig = z.infer<typeof veConfigSchema>;
export type VeConfigIn = z.input<typeof veConfigSchema>;

/** Stable, locally administered unicast MAC from the ctid (02:56 + ctid big-endian). */
export function macForCtid(ctid: number): string {
  const b = [0x02, 0x56, (ctid >>> 24) & 255, (ctid >>> 16) & 255, (ctid >>> 8) & 255, ctid & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Host-side veth name; fixed per ctid so nftables rules keyed on it survive VE reboots. */
export const vethName = (ctid: number) => `veth${ctid}`;
