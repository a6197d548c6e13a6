// OpenVZ CTID.conf parameters -> a vzpanel VE (the table in README "Importing from OpenVZ").
// Pure: every parameter ends up either carried (with what it became) or not carried (with why).
import type { OpenvzConf } from './openvz-conf';

const PAGE = 4096;
const KiB = 1024;
const MiB = 1024 * KiB;
/** vzctl's "unlimited": LONG_MAX, or the word. */
const UNLIMITED = 9_223_372_036_854_775_807n;

export interface Carried { param: string; value: string; to: string; note?: string }
export interface NotCarried { param: string; value: string; reason: string }

export interface OpenvzMapping {
  /** The ctid the conf names (VEID or the file's number); undefined for OpenVZ 7 UUID names. */
  ctid?: number;
  hostname?: string;
  /** Addresses as the conf has them: bare (venet) or with a /prefix. */
  ips: string[];
  nameservers: string[];
  searchdomain?: string;
  onboot: boolean;
  description?: string;
  /** The conf's OSTEMPLATE, as a template name the panel can keep (`openvz-<name>`). */
  ostemplate: string;
  layout: 'simfs' | 'ploop';
  /** VE_PRIVATE with $VEID expanded (a path on the OpenVZ host). */
  privatePath?: string;
  /** Agent units: bytes, bytes/s, % of one core. Only what the conf states. */
  limits: Partial<Record<'ram' | 'swap' | 'cpuunits' | 'cpulimit' | 'cpus' | 'numproc' | 'diskspace' | 'diskinodes' | 'ioprio' | 'iolimit' | 'iopslimit', number>>;
  carried: Carried[];
  notCarried: NotCarried[];
}

const SUFFIX: Record<string, number> = { K: KiB, M: MiB, G: 1024 * MiB, T: 1024 * 1024 * MiB };

/**
 * One vzctl value ("barrier:limit" or one number, an optional K/M/G/T suffix meaning bytes, P meaning
 * pages) -> its limit in `unit`s (pages, KiB or bytes); null = unlimited; NaN = unreadable.
 */
export function openvzLimit(v: string, unit: number): number | null {
  const part = (v.includes(':') ? v.split(':')[1] : v).trim();
  if (/^unlimited$/i.test(part)) return null;
  const m = part.match(/^(\d+)([KMGTP]?)$/i);
  if (!m) return NaN;
  if (BigInt(m[1]) >= UNLIMITED) return null;
  const n = Number(m[1]);
  const s = m[2].toUpperCase();
  if (!s) return n;
  const bytes = s === 'P' ? n * PAGE : n * SUFFIX[s];
  return Math.floor(bytes / unit);
}

/** Resource-accounting parameters OpenVZ enforces with its own kernel and this kernel has no knob for. */
const UBC_ONLY: Record<string, string> = {
  KMEMSIZE: 'kernel memory is counted inside the VE\'s memory cgroup',
  LOCKEDPAGES: 'locked memory is counted inside the VE\'s memory limit',
  SHMPAGES: 'shared memory is counted inside the VE\'s memory limit',
  OOMGUARPAGES: 'no OOM guarantee on a vanilla kernel; the memory limit applies',
  VMGUARPAGES: 'no allocation guarantee on a vanilla kernel; the memory limit applies',
  NUMTCPSOCK: 'no per-VE socket count on a vanilla kernel', NUMOTHERSOCK: 'no per-VE socket count on a vanilla kernel',
  TCPSNDBUF: 'socket buffers are counted inside the VE\'s memory limit', TCPRCVBUF: 'socket buffers are counted inside the VE\'s memory limit',
  OTHERSOCKBUF: 'socket buffers are counted inside the VE\'s memory limit', DGRAMRCVBUF: 'socket buffers are counted inside the VE\'s memory limit',
  NUMFLOCK: 'no per-VE lock count on a vanilla kernel', NUMPTY: 'no per-VE pty count (the VE has its own devpts)',
  NUMSIGINFO: 'no per-VE siginfo count on a vanilla kernel', NUMFILE: 'no per-VE open-file count on a vanilla kernel',
  DCACHESIZE: 'dentry cache is counted inside the VE\'s memory cgroup', NUMIPTENT: 'no per-VE netfilter entry count',
  QUOTAUGIDLIMIT: 'no second-level (per-user) quota inside a VE image', QUOTATIME: 'no second-level quota inside a VE image',
};

/** Host-side OpenVZ settings with no vzpanel counterpart (each VE gets vzpanel's own); '' = bookkeeping, not listed. */
const HOST_ONLY: Record<string, string> = {
  CAPABILITY: 'vzpanel VEs are unprivileged with a fixed capability set', FEATURES: 'OpenVZ kernel features do not exist here',
  DEVICES: 'device access is fixed for unprivileged VEs', DEVNODES: 'device access is fixed for unprivileged VEs',
  NETIF: 'vzpanel gives each VE one veth on the node\'s bridge', NETFILTER: 'the VE has its own netfilter in its network namespace',
  IPTABLES: 'the VE has its own netfilter in its network namespace', BINDMOUNT: 'host bind mounts are not carried (isolation)',
  MEMINFO: 'LXCFS shows the VE\'s memory limit in /proc/meminfo', CPUMASK: 'use the cpus limit (a cpuset of that many CPUs)',
  NODEMASK: 'NUMA placement is the node\'s', BOOTORDER: 'VEs start in ctid order', DISABLED: 'a disabled VE is imported stopped',
  ORIGIN_SAMPLE: 'a vzctl create sample; the limits themselves are carried', VE_ROOT: 'vzpanel mounts the VE under its own root',
  VERSION: 'conf format version', NAME: 'OpenVZ 7 name; the hostname is kept', UUID: 'OpenVZ 7 id; the ctid is kept',
  VEID: 'the ctid', VE_TYPE: 'always a container', LOCAL_UID: 'vzpanel allocates the VE its own id range',
  LOCAL_GID: 'vzpanel allocates the VE its own id range', SWAP: 'old OpenVZ 6 swap parameter: SWAPPAGES is read',
  HA_ENABLE: 'no HA manager', HA_PRIO: 'no HA manager', JOURNALED_QUOTA: 'no second-level quota inside a VE image',
  IP_ADDRESS_V6_ONLY: '', AUTOSTOP: 'the agent stops VEs on shutdown', STOP_TIMEOUT: 'the panel\'s stop timeout applies',
  APPLY_IPONLY: '', VE_ENVIRONMENT: 'environment of the VE\'s init is the template\'s', PCI: 'no device passthrough',
  CONFIG_CUSTOMIZED: '', TECHNOLOGIES: 'OpenVZ kernel technologies do not apply', SLMMODE: 'OpenVZ kernel feature',
};

const TPL_BAD = /[^a-z0-9._-]+/g;
const templateLabel = (t: string | undefined) => `openvz-${(t ?? 'unknown').toLowerCase().replace(/^\.+/, '').replace(TPL_BAD, '-').replace(/^-+|-+$/g, '') || 'unknown'}`.slice(0, 64);

/** Maps a parsed conf; `fileCtid` is the number in the file name (CTID.conf) when there is one. */
export function mapOpenvzConf(conf: OpenvzConf, fileCtid?: number): OpenvzMapping {
  const p = conf.params;
  const out: OpenvzMapping = {
    ips: [], nameservers: [], onboot: false, ostemplate: templateLabel(p.get('OSTEMPLATE')), layout: 'simfs', limits: {}, carried: [], notCarried: [],
  };
  const done = new Set<string>();
  const carry = (param: string, to: string, note?: string) => { done.add(param); out.carried.push({ param, value: p.get(param)!, to, ...(note ? { note } : {}) }); };
  const drop = (param: string, reason: string) => { done.add(param); out.notCarried.push({ param, value: p.get(param)!, reason }); };
  const has = (k: string) => p.has(k) && p.get(k) !== '';

  const veid = p.get('VEID');
  const ctid = veid && /^\d+$/.test(veid) ? Number(veid) : fileCtid;
  if (ctid !== undefined) out.ctid = ctid;
  if (has('VEID')) carry('VEID', `ctid ${ctid ?? '(choose one)'}`);

  if (has('HOSTNAME')) { out.hostname = p.get('HOSTNAME'); carry('HOSTNAME', 'hostname'); }
  if (has('IP_ADDRESS')) { out.ips = p.get('IP_ADDRESS')!.split(/\s+/).filter(Boolean); carry('IP_ADDRESS', 'addresses (checked against the IP pools)', 'venet addresses become addresses on the VE\'s veth'); }
  if (has('NAMESERVER')) {
    const ns = p.get('NAMESERVER')!.split(/\s+/).filter(Boolean);
    if (ns.includes('inherit')) drop('NAMESERVER', '"inherit" means the OpenVZ host\'s DNS servers: the address pool\'s apply');
    else { out.nameservers = ns.slice(0, 3); carry('NAMESERVER', 'nameservers', ns.length > 3 ? 'only the first 3 are kept' : undefined); }
  }
  if (has('SEARCHDOMAIN')) { out.searchdomain = p.get('SEARCHDOMAIN')!.split(/\s+/)[0]; carry('SEARCHDOMAIN', 'searchdomain'); }
  if (p.has('ONBOOT')) { out.onboot = p.get('ONBOOT') === 'yes'; carry('ONBOOT', `onboot ${out.onboot ? 'yes' : 'no'}`); }
  if (has('DESCRIPTION')) {
    // eslint-disable-next-line no-control-regex -- the VE conf's safe-text rule
    if (/^[^\x00-\x1f\x7f"\\$`]{0,1024}$/.test(p.get('DESCRIPTION')!)) { out.description = p.get('DESCRIPTION'); carry('DESCRIPTION', 'description'); }
    else drop('DESCRIPTION', 'contains characters a VE description may not hold');
  }
  if (has('OSTEMPLATE')) carry('OSTEMPLATE', `template label ${out.ostemplate}`, 'the VE keeps its own files; the label only names where they came from');
  if (has('VE_LAYOUT')) {
    out.layout = p.get('VE_LAYOUT') === 'ploop' ? 'ploop' : 'simfs';
    carry('VE_LAYOUT', out.layout === 'ploop' ? 'ploop image read into an ext4 image' : 'simfs tree copied into an ext4 image');
  }
  if (has('VE_PRIVATE')) {
    out.privatePath = p.get('VE_PRIVATE')!.replace(/\$\{?VEID\}?/g, String(ctid ?? p.get('VEID') ?? ''));
    carry('VE_PRIVATE', 'the files the VE gets');
  }

  const limit = (param: string, to: keyof OpenvzMapping['limits'], unit: number, scale: number, opts: { unlimited?: number; min?: number; max?: number } = {}) => {
    if (!has(param)) return;
    const v = openvzLimit(p.get(param)!, unit);
    if (Number.isNaN(v)) return drop(param, 'value not understood');
    if (v === null) {
      if (opts.unlimited === undefined) return drop(param, 'unlimited: the plan\'s or the default value applies');
      out.limits[to] = opts.unlimited;
      return carry(param, `${to} ${opts.unlimited}`, 'unlimited');
    }
    let x = v * scale;
    let note: string | undefined;
    if (opts.min !== undefined && x < opts.min) { note = `raised to vzpanel's minimum ${opts.min}`; x = opts.min; }
    if (opts.max !== undefined && x > opts.max) { note = `lowered to vzpanel's maximum ${opts.max}`; x = opts.max; }
    out.limits[to] = x;
    carry(param, `${to} ${x}`, note);
  };

  // vswap (OpenVZ 6 with vswap, OpenVZ 7): PHYSPAGES is the memory limit, SWAPPAGES the swap.
  const physFinite = has('PHYSPAGES') && openvzLimit(p.get('PHYSPAGES')!, PAGE) !== null;
  limit('PHYSPAGES', 'ram', PAGE, PAGE, { min: 16 * MiB });
  limit('SWAPPAGES', 'swap', PAGE, PAGE, { unlimited: 0 });
  // Old UBC VEs (no vswap): the memory they could allocate is PRIVVMPAGES.
  if (!physFinite && has('PRIVVMPAGES')) limit('PRIVVMPAGES', 'ram', PAGE, PAGE, { min: 16 * MiB });
  else if (has('PRIVVMPAGES')) drop('PRIVVMPAGES', 'with vswap, PHYSPAGES is the memory limit');
  limit('NUMPROC', 'numproc', 1, 1, { unlimited: 0, max: 4_194_304 });
  limit('CPUUNITS', 'cpuunits', 1, 1, { min: 8, max: 500_000 });
  limit('CPULIMIT', 'cpulimit', 1, 1, { max: 100_000 });
  limit('CPUS', 'cpus', 1, 1, { unlimited: 0, max: 4096 });
  // DISKSPACE is in KiB (soft:hard; the hard limit is the image size).
  limit('DISKSPACE', 'diskspace', KiB, KiB, { min: 32 * MiB });
  limit('DISKINODES', 'diskinodes', 1, 1, { min: 1024, max: 2 ** 32 - 1 });
  limit('IOPRIO', 'ioprio', 1, 1, { max: 7 });
  limit('IOLIMIT', 'iolimit', 1, 1, { unlimited: 0 });
  limit('IOPSLIMIT', 'iopslimit', 1, 1, { unlimited: 0 });

  for (const [k, v] of p) {
    if (done.has(k)) continue;
    const why = UBC_ONLY[k] || HOST_ONLY[k];
    if (why) drop(k, why);
    else if (v !== '' && !(k in UBC_ONLY) && !(k in HOST_ONLY)) drop(k, 'not known to the importer');
  }
  for (const line of conf.unreadable) out.notCarried.push({ param: '(line)', value: line, reason: 'not a plain KEY="value" assignment; never run as shell' });
  return out;
}
