// The raw-LXC peer done the fast way (BASELINES.md): mkdir + config + untar of the same busybox
// tarball, then `lxc-start -d`. Unprivileged with the agent's idmap style (idmapped rootfs mount +
// a 65,536-id range), veth on the same bridge, same memory/pids limits, no ttys.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hostFacts } from '@/agents/src/lxc/host-facts';
import { run } from '@/agents/src/sys/exec';
import { LXCFS_MOUNTS } from '@/agents/src/config/lxc-config';

/** What the raw peer does NOT do that the agent does (printed with the results). */
export const RAW_DIFFERENCES = [
  'no ext4 image on a loop device (rootfs is a plain directory on the host filesystem): no truncate/mkfs/losetup/mount/umount',
  'no vzctl-style conf, no per-VE id-range reservation file, no hostname/resolv.conf/hosts edits',
  'no nftables anti-spoofing port policy',
  ...(process.env.VZ_BENCH_RAW_LXCFS === 'entries' ? [] : ['no LXCFS binds in its own config: LXCFS comes through common.conf.d\'s hook scripts, as LXC ships it (BASELINES.md), ~100 ms more per start and 0.5 s more per stop than the agent\'s binds (VZ_BENCH_RAW_LXCFS=entries gives the raw peer the agent\'s way)']),
  'no RUNNING wait after lxc-start -d (lxc-start -d itself waits for the container to run), no journal/lock/RPC',
];

export interface RawPeer {
  lxcpath: string;
  tarball: string;
  bridge: string;
  /** First sub-id of root's /etc/subuid range (agent default 1,000,000). */
  subidStart?: number;
}

// Raw VEs take sub-id slots 5000+ (ctid-20000): far above what the agent's lowest-free allocator hands out.
const idBase = (p: RawPeer, ctid: number) => (p.subidStart ?? 1_000_000) + (5000 + (ctid - 20000)) * 65_536;

export function rawConfig(p: RawPeer, ctid: number, ip: string, veth = `vr${ctid}`): string {
  const dir = path.join(p.lxcpath, String(ctid));
  const cg = hostFacts().version === 'v1' ? 'lxc.cgroup' : 'lxc.cgroup2';
  const id = idBase(p, ctid);
  const mac = `02:57:${[ctid >>> 24, (ctid >>> 16) & 255, (ctid >>> 8) & 255, ctid & 255].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
  const lines = [
    'lxc.include = /usr/share/lxc/config/common.conf',
    'lxc.include = /usr/share/lxc/config/userns.conf',
    'lxc.arch = linux64',
    `lxc.uts.name = raw${ctid}`,
    `lxc.rootfs.path = dir:${dir}/rootfs`,
    'lxc.rootfs.options = idmap=container',
    `lxc.idmap = u 0 ${id} 65536`,
    `lxc.idmap = g 0 ${id} 65536`,
    'lxc.tty.max = 0',
    'lxc.pty.max = 256',
    `lxc.apparmor.profile = ${hostFacts().apparmor ? 'generated' : 'unconfined'}`,
    'lxc.signal.halt = SIGPWR',
    'lxc.net.0.type = veth',
    `lxc.net.0.link = ${p.bridge}`,
    'lxc.net.0.flags = up',
    'lxc.net.0.name = eth0',
    `lxc.net.0.hwaddr = ${mac}`,
    `lxc.net.0.veth.pair = ${veth}`,
    `lxc.net.0.ipv4.address = ${ip}`,
    ...(process.env.VZ_BENCH_RAW_LXCFS === 'entries' ? ['lxc.hook.mount =', 'lxc.hook.post-stop =', ...LXCFS_MOUNTS.map((m) => `lxc.mount.entry = ${m}`)] : []),
    ...(hostFacts().version === 'v1'
      ? [`${cg}.memory.limit_in_bytes = 268435456`, `${cg}.pids.max = 1024`]
      : [`${cg}.memory.max = 268435456`, `${cg}.pids.max = 1024`]),
  ];
  return lines.join('\n') + '\n';
}

/** mkdir + config + untar (the BASELINES "create from a rootfs tarball"). */
export async function rawCreate(p: RawPeer, ctid: number, ip: string): Promise<void> {
  const dir = path.join(p.lxcpath, String(ctid));
  await mkdir(path.join(dir, 'rootfs'), { recursive: true, mode: 0o711 });
  await writeFile(path.join(dir, 'config'), rawConfig(p, ctid, ip), { mode: 0o600 });
  await run('tar', ['-xzpf', p.tarball, '--numeric-owner', '-C', path.join(dir, 'rootfs')]);
}

export async function rawStart(p: RawPeer, ctid: number): Promise<void> {
  const log = path.join(p.lxcpath, String(ctid), 'lxc.log');
  await run('lxc-start', ['-n', String(ctid), '-P', p.lxcpath, '-d', '-o', log, '-l', 'WARN'], { timeoutMs: 60_000 });
}

export async function rawState(p: RawPeer, ctid: number): Promise<string> {
  return (await run('lxc-info', ['-n', String(ctid), '-P', p.lxcpath, '-sH'], { allowFail: true })).stdout.trim();
}

export async function rawInitPid(p: RawPeer, ctid: number): Promise<number> {
  return Number((await run('lxc-info', ['-n', String(ctid), '-P', p.lxcpath, '-pH'], { allowFail: true })).stdout.trim());
}

/** Force stop (the BASELINES "force stop"). */
export async function rawStop(p: RawPeer, ctid: number): Promise<void> {
  await run('lxc-stop', ['-n', String(ctid), '-P', p.lxcpath, '-k'], { timeoutMs: 60_000 });
}

export async function rawDestroy(p: RawPeer, ctid: number): Promise<void> {
  await run('lxc-destroy', ['-n', String(ctid), '-P', p.lxcpath], { timeoutMs: 60_000 });
}

export async function rawAttach(p: RawPeer, ctid: number, argv: string[], input?: string) {
  return run('lxc-attach', ['-n', String(ctid), '-P', p.lxcpath, '--clear-env', '--', ...argv], { input, allowFail: true, timeoutMs: 10 * 60_000 });
}
