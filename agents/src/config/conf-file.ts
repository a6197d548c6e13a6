// vzctl-style <vzroot>/conf/<ctid>.conf: KEY="value" lines, OpenVZ key names where OpenVZ has one.
import { veConfigSchema, type VeConfig } from './schema';
import { assertConfigValue } from './validate';
import { VeError } from '../sys/errors';

const PAGE = 4096;
const list = (v: string | undefined) => (v ? v.split(/\s+/).filter(Boolean) : []);
const barrier = (v: string | undefined) => (v === undefined ? undefined : Number(v.includes(':') ? v.split(':')[1] : v));

/** Render the conf file; every value is re-checked so nothing can break out of its quotes. */
export function renderConfFile(c: VeConfig, paths: { root: string; private: string }): string {
  const kv: [string, string | undefined][] = [
    ['OSTEMPLATE', c.ostemplate],
    ['HOSTNAME', c.hostname],
    ['IP_ADDRESS', c.ips.join(' ')],
    ['GATEWAY', c.gateway],
    ['GATEWAY6', c.gateway6],
    ['NAMESERVER', c.nameservers.join(' ')],
    ['SEARCHDOMAIN', c.searchdomain],
    ['MAC', c.mac],
    ['ONBOOT', c.onboot ? 'yes' : 'no'],
    ['HALT_SIGNAL', c.haltsignal],
    ['PHYSPAGES', `0:${c.ram / PAGE}`],
    ['SWAPPAGES', `0:${c.swap / PAGE}`],
    ['CPUUNITS', String(c.cpuunits)],
    ['CPULIMIT', String(c.cpulimit)],
    ['CPUS', String(c.cpus)],
    ['NUMPROC', `${c.numproc}:${c.numproc}`],
    ['DISKSPACE', `${c.diskspace / 1024}:${c.diskspace / 1024}`],
    ['DISKINODES', `${c.diskinodes}:${c.diskinodes}`],
    ['IOPRIO', String(c.ioprio)],
    ['IOLIMIT', String(c.iolimit)],
    ['IOPSLIMIT', String(c.iopslimit)],
    // Written only when set, so confs of VEs without a cap read exactly as before.
    ['BANDWIDTH', c.bandwidth ? String(c.bandwidth) : undefined],
    ['TRAFFIC_THROTTLE', c.throttle ? String(c.throttle) : undefined],
    ['IDMAP_UID', String(c.idmap.uid)],
    ['IDMAP_GID', String(c.idmap.gid)],
    ['DESCRIPTION', c.description],
    ['VE_ROOT', paths.root],
    ['VE_PRIVATE', paths.private],
  ];
  const lines = [`# VE ${c.ctid} (vzctl-style; written by vzagentd, the LXC config is generated from it)`, `VEID="${c.ctid}"`];
  for (const [k, v] of kv) if (v !== undefined) lines.push(`${k}="${assertConfigValue(k, v)}"`);
  return lines.join('\n') + '\n';
}

/** Parse a conf file back into a validated VeConfig (unknown keys are ignored). */
export function parseConfFile(text: string): VeConfig {
  const kv: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([A-Z][A-Z0-9_]*)="([^"]*)"$/) ?? line.match(/^([A-Z][A-Z0-9_]*)=([^\s"'`$\\]*)$/);
    if (!m) throw new VeError('INTERNAL', `conf: cannot parse line ${JSON.stringify(line.slice(0, 80))}`);
    kv[m[1]] = m[2];
  }
  const num = (k: string) => (kv[k] === undefined || kv[k] === '' ? undefined : Number(kv[k]));
  const pages = barrier(kv.PHYSPAGES);
  const swp = barrier(kv.SWAPPAGES);
  const disk = barrier(kv.DISKSPACE);
  const parsed = veConfigSchema.safeParse({
    ctid: num('VEID'),
    ostemplate: kv.OSTEMPLATE,
    hostname: kv.HOSTNAME || undefined,
    ips: list(kv.IP_ADDRESS),
    gateway: kv.GATEWAY || undefined,
    gateway6: kv.GATEWAY6 || undefined,
    nameservers: list(kv.NAMESERVER),
    searchdomain: kv.SEARCHDOMAIN || undefined,
    mac: kv.MAC || undefined,
    onboot: kv.ONBOOT === 'yes',
    haltsignal: kv.HALT_SIGNAL || undefined,
    description: kv.DESCRIPTION,
    idmap: { uid: num('IDMAP_UID'), gid: num('IDMAP_GID') },
    ram: pages === undefined ? undefined : pages * PAGE,
    swap: swp === undefined ? undefined : swp * PAGE,
    cpuunits: num('CPUUNITS'),
    cpulimit: num('CPULIMIT'),
    cpus: num('CPUS'),
    numproc: barrier(kv.NUMPROC),
    diskspace: disk === undefined ? undefined : disk * 1024,
    diskinodes: barrier(kv.DISKINODES),
    ioprio: num('IOPRIO'),
    iolimit: num('IOLIMIT'),
    iopslimit: num('IOPSLIMIT'),
    bandwidth: num('BANDWIDTH'),
    throttle: num('TRAFFIC_THROTTLE'),
  });
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new VeError('INTERNAL', `conf: ${i?.path.join('.')}: ${i?.message}`);
  }
  return parsed.data;
}
