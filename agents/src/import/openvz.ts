// `vzctl import` / ve.import: an OpenVZ VE (its CTID.conf and simfs private area, copied to or
// mounted on this node) becomes a vzpanel VE with the same ctid, addresses and translated limits.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseCidr, inNetwork, type Cidr } from '../config/net-addr';
import { createVe } from '../lxc/create';
import type { Runtime } from '../lxc/runtime';
import { veExists } from '../lxc/ve-store';
import { VeError } from '../sys/errors';
import type { Undo } from '../sys/undo';
import { parseOpenvzConf } from './openvz-conf';
import { mapOpenvzConf, type OpenvzMapping } from './openvz-map';
import { localSource, safePath, sshSource, type SourceFs, type SshSource } from './source';

const MiB = 2 ** 20;
const CONF_MAX = 1 * MiB;

export interface ImportSource {
  /** Path of the OpenVZ CTID.conf (on this node, or on `ssh`'s host). */
  conf: string;
  /** Read from an OpenVZ host over SSH instead of this node's filesystem. */
  ssh?: SshSource;
  /** The private area, when it is not where the conf's VE_PRIVATE says (copied elsewhere). */
  private?: string;
  /** Target ctid; default the conf's. */
  ctid?: number;
}

export interface ImportPlan extends Omit<OpenvzMapping, 'privatePath'> {
  ctid: number;
  privatePath: string;
  usedBytes: number;
  usedInodes: number;
  /** Reasons the import cannot run as it stands (nothing is copied while any remain). */
  problems: string[];
}

/** Bare (venet) addresses get the prefix of the node network they are in. */
export function withPrefixes(ips: string[], networks: string[] = []): { ips: string[]; problems: string[] } {
  const nets = networks.map((n) => parseCidr(n)).filter((n): n is Cidr => n !== null);
  const out: string[] = [];
  const problems: string[] = [];
  for (const ip of ips) {
    const c = parseCidr(ip);
    if (!c) { problems.push(`address ${ip} is not an IP address`); continue; }
    if (ip.includes('/')) { out.push(ip); continue; }
    const net = nets.find((n) => n.family === c.family && inNetwork(c.addr, n));
    if (net) out.push(`${c.addr}/${net.prefix}`);
    else problems.push(`address ${ip} is in none of this node's VE networks (${networks.join(', ') || 'none configured'}): give the addresses with their prefix`);
  }
  return { ips: out, problems };
}

/** The dry run: every mapping and every parameter that is not carried, plus what blocks the import. Touches nothing. */
export async function planImport(rt: Runtime, src: ImportSource): Promise<ImportPlan> {
  return withSource(src, (fs) => planFrom(rt, src, fs));
}

async function withSource<T>(src: ImportSource, fn: (fs: SourceFs) => Promise<T>): Promise<T> {
  const fs = src.ssh ? await sshSource(src.ssh) : localSource();
  try {
    return await fn(fs);
  } finally {
    await fs.close();
  }
}

async function planFrom(rt: Runtime, src: ImportSource, fs: SourceFs, measure = true): Promise<ImportPlan> {
  const conf = parseOpenvzConf(await fs.readFile(safePath(src.conf, 'conf'), CONF_MAX));
  const fileCtid = path.basename(src.conf).match(/^(\d+)\.conf$/)?.[1];
  const m = mapOpenvzConf(conf, fileCtid ? Number(fileCtid) : undefined);
  const problems: string[] = [];
  const ctid = src.ctid ?? m.ctid;
  if (ctid === undefined) throw new VeError('BAD_PARAMS', 'the conf names no numeric ctid (OpenVZ 7 UUID): give the ctid to import as', { field: 'ctid' });
  const privatePath = src.private ?? m.privatePath;
  if (!privatePath) throw new VeError('BAD_PARAMS', 'the conf has no VE_PRIVATE: give the private area\'s path', { field: 'private' });
  safePath(privatePath, 'private');
  if (m.layout === 'ploop') {
    problems.push('VE_LAYOUT=ploop: this importer reads simfs trees; on the OpenVZ host, copy the mounted VE\'s files (vzctl mount, then rsync -aHAX --numeric-ids from its root) and import that tree with --private');
  }
  let used = { bytes: 0, inodes: 0 };
  if (!(await fs.isDir(privatePath))) problems.push(`private area ${privatePath} is not a directory`);
  else {
    if (measure) used = await fs.usage(privatePath);
    const top = new Set(await fs.list(privatePath));
    if (!top.has('sbin') && !top.has('usr')) problems.push(`${privatePath} holds no root filesystem (no sbin or usr): is it the private area?`);
    else if (!(await fs.exists(path.join(privatePath, 'sbin/init')))) problems.push(`${privatePath} has no sbin/init: the VE could not boot`);
  }
  if (await veExists(rt.vzroot, ctid)) problems.push(`VE ${ctid} already exists on this node: import as another ctid`);
  const disk = m.limits.diskspace;
  if (disk !== undefined && used.bytes && disk < used.bytes * 1.1 + 16 * MiB) {
    problems.push(`DISKSPACE (${Math.round(disk / MiB)} MiB) leaves no room for the files (${Math.round(used.bytes / MiB)} MiB): give a larger diskspace`);
  }
  if (m.limits.diskinodes !== undefined && used.inodes && m.limits.diskinodes < used.inodes + 1024) {
    problems.push(`DISKINODES (${m.limits.diskinodes}) is below the files' ${used.inodes} inodes: give a larger diskinodes`);
  }
  const addr = withPrefixes(m.ips, rt.networks);
  problems.push(...addr.problems);
  const { privatePath: _, ...rest } = m;
  return { ...rest, ctid, privatePath, usedBytes: used.bytes, usedInodes: used.inodes, problems };
}

export interface ImportInput extends ImportSource {
  /** Addresses with prefixes (the panel's from its pools); default the conf's, prefixed from the node networks. */
  ips?: string[];
  gateway?: string;
  gateway6?: string;
  /** Agent units; replace the translated values (a panel plan). */
  limits?: OpenvzMapping['limits'];
  ostemplate?: string;
  start?: boolean;
}

/**
 * Creates the VE from the tree (started when asked). Throws with every problem when the plan has any.
 * A tree over SSH is first copied to a staging folder on this node (removed afterwards, also on failure).
 */
export async function importVe(rt: Runtime, input: ImportInput, undo: Undo): Promise<ImportPlan> {
  return withSource(input, async (fs) => {
    const plan = await planFrom(rt, input, fs);
    const addr = input.ips ? { ips: input.ips, problems: [] } : withPrefixes(plan.ips, rt.networks);
    const blocking = plan.problems.filter((p) => !(input.ips && p.startsWith('address ')));
    if (blocking.length) throw new VeError('BAD_PARAMS', `cannot import VE ${plan.ctid}: ${blocking.join('; ')}`, { problems: blocking });
    const limits = { ...plan.limits, ...input.limits };
    // No DISKSPACE/DISKINODES in the conf: room for the files twice over.
    limits.diskspace ??= Math.max(Math.ceil((plan.usedBytes * 2 + 256 * MiB) / MiB) * MiB, 512 * MiB);
    limits.diskinodes ??= Math.max(plan.usedInodes * 2 + 10_000, 65_536);
    let tree = plan.privatePath;
    if (input.ssh) {
      tree = path.join(rt.vzroot, 'import', String(plan.ctid));
      await rm(tree, { recursive: true, force: true });
      await mkdir(tree, { recursive: true, mode: 0o700 });
      rt.progress?.(5, `copying the VE's files from ${input.ssh.host}`);
      try {
        await fs.copyTree(plan.privatePath, tree);
      } catch (e) {
        await rm(tree, { recursive: true, force: true });
        throw e;
      }
    }
    try {
      await createVe(rt, {
        ctid: plan.ctid, ostemplate: input.ostemplate ?? plan.ostemplate,
        hostname: plan.hostname, ips: addr.ips, gateway: input.gateway, gateway6: input.gateway6,
        nameservers: plan.nameservers, searchdomain: plan.searchdomain, onboot: plan.onboot, description: plan.description,
        ...limits,
      }, undo, { fromTree: { dir: tree, bytes: plan.usedBytes } });
    } finally {
      if (input.ssh) await rm(tree, { recursive: true, force: true });
    }
    return plan;
  });
}

/** The OpenVZ VEs a host has: one dry run per CTID.conf in `confDir` (sizes are measured by the VE's own dry run). */
export async function listImportable(rt: Runtime, src: { ssh?: SshSource; confDir: string }): Promise<ImportPlan[]> {
  return withSource({ ...src, conf: src.confDir }, async (fs) => {
    const confs = (await fs.list(safePath(src.confDir, 'confDir'))).filter((f) => /^\d+\.conf$/.test(f)).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    const out: ImportPlan[] = [];
    for (const f of confs.slice(0, 500)) out.push(await planFrom(rt, { ssh: src.ssh, conf: path.join(src.confDir, f) }, fs, false));
    return out;
  });
}
