// vzctl set: change limits, identity and addresses; live on a running VE, persisted in the conf.
import { z } from 'zod';
import { liveCgroupChanges } from '../config/cgroup-map';
import { parseCidr } from '../config/net-addr';
import { checkVeAddresses } from '../config/network-check';
import { macForCtid, veConfigSchema, veLimitsSchema, vethName, type VeConfig } from '../config/schema';
import { ctidSchema, hostnameSchema, ipCidrSchema, ipSchema, safeTextSchema } from '../config/validate';
import { applyPortPolicy } from '../net/antispoof';
import { applyShaping, effectiveRate } from '../net/shaping';
import { mountImage, mountPointSource, resizeImage, unmountImage } from '../storage/image';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { parseOrBadParams } from '../sys/params';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';
import { claimIps } from './address-index';
import { hostFacts } from './host-facts';
import { applyIoThrottle, ioprioUnsupportedReason } from './io-limits';
import { confirmedStopped, lxcAttach, lxcCgroupSet, lxcInitPid, lxcState } from './lxc-cli';
import { attachedVeFiles, hostVeFiles, type VeFiles } from './rootfs-files';
import { hashPassword, USER_RE, writeHostname, writePasswordHash, writeResolvConf } from './ve-files';
import { readVe, writeVe } from './ve-store';
import type { Runtime } from './runtime';

// Same bounds as the VE config, without its defaults (an absent key means "leave as is").
const optionalLimits = Object.fromEntries(
  Object.entries(veLimitsSchema.shape).map(([k, v]) => [k, v.unwrap().optional()]),
) as { [K in keyof typeof veLimitsSchema.shape]: z.ZodOptional<ReturnType<(typeof veLimitsSchema.shape)[K]['unwrap']>> };

export const setInputSchema = z.object({
  ctid: ctidSchema,
  hostname: hostnameSchema.optional(),
  nameservers: z.array(ipSchema).max(3).optional(),
  searchdomain: hostnameSchema.optional(),
  ips: z.array(ipCidrSchema).max(64).optional().describe('replace all addresses'),
  ipadd: z.array(ipCidrSchema).max(64).optional(),
  ipdel: z.array(z.string().max(64)).max(64).optional().describe('addresses to remove (with or without /prefix)'),
  gateway: ipSchema.optional(),
  userpasswd: z.object({ user: z.string().regex(USER_RE).default('root'), password: z.string().min(1).max(256) }).optional()
    .describe('password travels only in this call, on stdin to the hasher; never stored or logged'),
  passwordHash: z.string().regex(/^\$(6|5|y)\$[./A-Za-z0-9$]{8,200}$/).optional().describe('new root password as a crypt hash (from the panel)'),
  onboot: z.boolean().optional(),
  description: safeTextSchema.optional(),
  ...optionalLimits,
  save: z.boolean().default(true).describe('persist in the conf (vzctl --save); false = live only'),
});
export type SetInput = z.input<typeof setInputSchema>;
export interface SetResult {
  ctid: number; running: boolean; applied: string[]; pending: string[]; saved: boolean;
  /** Saved but not enforceable on this host, with the reason (never silently dropped). */
  notApplied?: { key: string; reason: string }[];
}

function merge(cur: VeConfig, s: z.infer<typeof setInputSchema>): VeConfig {
  let ips = s.ips ?? cur.ips;
  if (s.ipdel) {
    const del = new Set(s.ipdel.map((x) => parseCidr(x.split('/')[0])?.addr ?? x));
    ips = ips.filter((x) => !del.has(parseCidr(x)!.addr));
  }
  if (s.ipadd) ips = [...ips, ...s.ipadd.filter((a) => !ips.includes(a))];
  const { ctid: _c, save: _s, userpasswd: _u, passwordHash: _h, ipadd: _a, ipdel: _d, ips: _i, ...rest } = s;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return parseOrBadParams(veConfigSchema, { ...cur, ...defined, ips });
}

/** Apply a `vzctl set`. Limits change through cgroup files at once; files inside via the VE's own root. */
export async function setVe(rt: Runtime, input: unknown, undo: Undo): Promise<SetResult> {
  const s = parseOrBadParams(setInputSchema, input);
  const cur = await readVe(rt.vzroot, s.ctid);
  const next = merge(cur, s);
  const p = vePaths(rt.vzroot, s.ctid);
  if (next.diskinodes !== cur.diskinodes) throw new VeError('UNSUPPORTED', 'diskinodes is fixed when the filesystem is made (create or reinstall)');
  if (s.ips || s.ipadd || s.gateway) checkVeAddresses(next, rt.networks);
  if (s.ips || s.ipadd) await claimIps(rt.vzroot, s.ctid, next.ips);
  const st = await lxcState(s.ctid, p.lxcpath);
  const running = st === 'RUNNING' || st === 'FROZEN';
  const stopped = confirmedStopped(st);
  if (!running && !s.save) throw new VeError('VE_NOT_RUNNING', `VE ${s.ctid} is not running; live-only changes need --save`);
  const needsFiles = !!(s.hostname || s.nameservers || s.searchdomain || s.userpasswd || s.passwordHash);
  if (needsFiles && !running && !stopped) throw new VeError('VE_RUNNING', `VE ${s.ctid} is ${st}, not confirmed stopped: its files are not changed from the host; try again`);
  if (st === 'FROZEN' && (needsFiles || s.ips || s.ipadd || s.ipdel || s.gateway)) throw new VeError('VE_RUNNING', `VE ${s.ctid} is suspended; resume it first`);
  const applied: string[] = [];
  const pending: string[] = [];
  const notApplied: { key: string; reason: string }[] = [];
  const hash = s.passwordHash ?? (s.userpasswd ? await hashPassword(s.userpasswd.password) : undefined);

  if (running) {
    for (const [k, v] of liveCgroupChanges(cur, next, hostFacts())) {
      const old = liveCgroupChanges(next, cur, hostFacts()).find(([kk]) => kk === k)?.[1];
      await lxcCgroupSet(s.ctid, p.lxcpath, k, v);
      if (old !== undefined) undo.push(`restore ${k}`, () => lxcCgroupSet(s.ctid, p.lxcpath, k, old));
      applied.push(k);
    }
    const io = (['iolimit', 'iopslimit'] as const).filter((k) => next[k] !== cur[k]);
    if (io.length) {
      await applyIoThrottle(s.ctid, p, next);
      undo.push('restore iolimit/iopslimit', () => applyIoThrottle(s.ctid, p, cur).then(() => undefined));
      applied.push(...io);
    }
    const rate = effectiveRate(next.bandwidth, next.throttle);
    const was = effectiveRate(cur.bandwidth, cur.throttle);
    if (next.bandwidth !== cur.bandwidth) {
      // A throttle lower than both values keeps the rate as it is: the new cap is saved, and live once the throttle lifts.
      if (rate !== was) {
        await applyShaping(s.ctid, rate);
        undo.push('restore rate caps', () => applyShaping(s.ctid, was).then(() => undefined));
      }
      applied.push('bandwidth');
    }
    if (next.ips.join() !== cur.ips.join() || next.gateway !== cur.gateway) {
      await applyNetwork(rt, cur, next);
      applied.push('ips');
    }
  }
  if (next.diskspace !== cur.diskspace) {
    const how = await resizeImage(p.image, p.root, next.diskspace);
    (how === 'pending' ? pending : applied).push('diskspace');
  }
  if (needsFiles) {
    await withFiles(rt, s.ctid, !stopped, undo, async (files) => {
      if (s.hostname) await writeHostname(files, next.hostname);
      if (s.nameservers || s.searchdomain) await writeResolvConf(files, next.nameservers, next.searchdomain);
      const user = s.userpasswd?.user ?? 'root';
      // Running: read and rewrite /etc/shadow as the VE's own root (no chpasswd needed in the template).
      if (hash) await writePasswordHash(files, user, hash);
    });
    if (s.hostname && running) await lxcAttach(s.ctid, p.lxcpath, ['hostname', next.hostname], { timeoutMs: 15_000 });
    applied.push(...(['hostname', 'nameservers', 'userpasswd', 'passwordHash'] as const).filter((k) => s[k] !== undefined));
  }
  const ioprioWhy = s.ioprio !== undefined ? ioprioUnsupportedReason() : undefined;
  if (ioprioWhy) notApplied.push({ key: 'ioprio', reason: ioprioWhy });
  if (s.save) await writeVe(rt.vzroot, next, rt.bridge);
  return { ctid: s.ctid, running, applied, pending, saved: s.save, ...(notApplied.length ? { notApplied } : {}) };
}

/** `attached` unless the VE is confirmed stopped: then through its host mount. */
async function withFiles(rt: Runtime, ctid: number, attached: boolean, undo: Undo, fn: (f: VeFiles) => Promise<void>): Promise<void> {
  const p = vePaths(rt.vzroot, ctid);
  if (attached) return fn(attachedVeFiles(ctid, p.lxcpath));
  const wasMounted = !!(await mountPointSource(p.root));
  await mountImage(p.image, p.root, undo);
  try {
    await fn(hostVeFiles(p.root));
  } finally {
    if (!wasMounted) await unmountImage(p.image, p.root);
  }
}

/** Change addresses of a running VE from the host side (host `ip` in the VE's netns), then its filter. */
async function applyNetwork(rt: Runtime, cur: VeConfig, next: VeConfig): Promise<void> {
  const pid = await lxcInitPid(cur.ctid, vePaths(rt.vzroot, cur.ctid).lxcpath);
  if (!pid) throw new VeError('VE_NOT_RUNNING', `VE ${cur.ctid} is not running`);
  const ns = (args: string[]) => run('nsenter', ['-t', String(pid), '-n', '--', 'ip', ...args]);
  // Let the new addresses through before they are configured, the old ones stay until removed.
  await applyPortPolicy(rt.bridge, { veth: vethName(cur.ctid), mac: next.mac ?? macForCtid(next.ctid), ips: [...new Set([...cur.ips, ...next.ips])] });
  for (const a of next.ips.filter((x) => !cur.ips.includes(x))) await ns([parseCidr(a)!.family === 6 ? '-6' : '-4', 'addr', 'add', a, 'dev', 'eth0']);
  for (const a of cur.ips.filter((x) => !next.ips.includes(x))) await run('nsenter', ['-t', String(pid), '-n', '--', 'ip', 'addr', 'del', a, 'dev', 'eth0'], { allowFail: true });
  if (next.gateway && next.gateway !== cur.gateway) await ns(['-4', 'route', 'replace', 'default', 'via', next.gateway, 'dev', 'eth0']);
  await applyPortPolicy(rt.bridge, { veth: vethName(cur.ctid), mac: next.mac ?? macForCtid(next.ctid), ips: next.ips });
}
