// PROTOTYPE of a faster per-VE storage path (bench only; the agent is not changed): the template is
// turned into an ext4 image once (mke2fs -d), each VE gets a sparse copy of it, and the image stays
// mounted from create to start. Optional direct-I/O loop (no second page cache of the backing file).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { applyPortPolicy, removePortPolicy } from '@/agents/src/net/antispoof';
import { run } from '@/agents/src/sys/exec';
import { now } from './stats';
import { rawConfig, type RawPeer } from './raw-lxc';

export interface TemplateImage { image: string; buildMs: number }

/** Untar the template once and make an ext4 image of `bytes` with `inodes` inodes from it. */
export async function buildTemplateImage(tarball: string, dir: string, bytes: number, inodes: number): Promise<TemplateImage> {
  const t0 = now();
  const root = path.join(dir, 'tpl-rootfs');
  await mkdir(root, { recursive: true });
  await run('tar', ['-xzpf', tarball, '--numeric-owner', '-C', root]);
  const image = path.join(dir, 'tpl.img');
  await run('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', root, '-N', String(inodes), '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1', '-L', 'vzroot', image, `${Math.floor(bytes / 1024)}k`]);
  await rm(root, { recursive: true, force: true });
  return { image, buildMs: now() - t0 };
}

export interface ProtoOptions {
  directIo: boolean;
  keepMounted: boolean;
  /** Install the agent's anti-spoofing port policy with ONE `nft -f` (table made once beforehand). */
  nftBridge?: string;
}
export type ProtoPhases = Record<string, number>;

const imgDir = (p: RawPeer, ctid: number) => path.join(p.lxcpath, String(ctid));

/** create: sparse copy of the template image, loop + mount, identity file, LXC config. */
export async function protoCreate(p: RawPeer, tpl: TemplateImage, ctid: number, ip: string, o: ProtoOptions): Promise<ProtoPhases> {
  const ph: ProtoPhases = {};
  let t = now();
  const mark = (k: string) => { const x = now(); ph[k] = x - t; t = x; };
  const dir = imgDir(p, ctid);
  const root = path.join(dir, 'rootfs');
  await mkdir(root, { recursive: true, mode: 0o711 });
  const img = path.join(dir, 'root.img');
  // cp walks the data extents (SEEK_DATA): only the template's few MiB are copied, holes stay holes.
  await run('cp', ['--sparse=always', tpl.image, img]);
  mark('copy template image');
  const dev = (await run('losetup', ['--find', '--show', ...(o.directIo ? ['--direct-io=on'] : []), img])).stdout.trim();
  await run('mount', ['-t', 'ext4', '-o', 'noatime', dev, root]);
  mark('losetup + mount');
  await writeFile(path.join(root, 'etc/hostname'), `p${ctid}\n`);
  await writeFile(path.join(dir, 'config'), rawConfig(p, ctid, ip, o.nftBridge ? `veth${ctid}` : undefined), { mode: 0o600 });
  mark('identity + config');
  if (!o.keepMounted) {
    await run('umount', [root]);
    await run('losetup', ['-d', dev]);
    mark('umount + detach');
  }
  return ph;
}

export async function protoStart(p: RawPeer, ctid: number, ip: string, o: ProtoOptions): Promise<ProtoPhases> {
  const t0 = now();
  const dir = imgDir(p, ctid);
  const ph: ProtoPhases = {};
  if (!o.keepMounted) {
    const dev = (await run('losetup', ['--find', '--show', ...(o.directIo ? ['--direct-io=on'] : []), path.join(dir, 'root.img')])).stdout.trim();
    await run('mount', ['-t', 'ext4', '-o', 'noatime', dev, path.join(dir, 'rootfs')]);
    ph['losetup + mount'] = now() - t0;
  }
  if (o.nftBridge) {
    const t = now();
    const mac = rawConfig(p, ctid, '10.0.0.1/32').match(/hwaddr = (\S+)/)![1];
    await applyPortPolicy(o.nftBridge, { veth: `veth${ctid}`, mac, ips: [ip] });
    ph['nft policy (one nft -f)'] = now() - t;
  }
  const t1 = now();
  await run('lxc-start', ['-n', String(ctid), '-P', p.lxcpath, '-d', '-o', path.join(dir, 'lxc.log'), '-l', 'WARN'], { timeoutMs: 60_000 });
  ph['lxc-start -d'] = now() - t1;
  return ph;
}

export async function protoDestroy(p: RawPeer, ctid: number, nftBridge?: string): Promise<void> {
  const dir = imgDir(p, ctid);
  if (nftBridge) await removePortPolicy(nftBridge, `veth${ctid}`);
  await run('lxc-stop', ['-n', String(ctid), '-P', p.lxcpath, '-k'], { allowFail: true });
  await run('umount', [path.join(dir, 'rootfs')], { allowFail: true });
  const loops = (await run('losetup', ['-n', '-O', 'NAME', '-j', path.join(dir, 'root.img')], { allowFail: true })).stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  for (const l of loops) await run('losetup', ['-d', l], { allowFail: true });
  await rm(dir, { recursive: true, force: true });
}
