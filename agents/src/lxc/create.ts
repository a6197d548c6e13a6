// vzctl create: template image (sparse copy) -> mount -> identity files -> conf + LXC config. Unwinds on failure.
import { mkdir, readlink, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { veConfigSchema, veLimitsSchema, type VeConfig } from '../config/schema';
import { checkVeAddresses } from '../config/network-check';
import { findTemplate } from '../templates/cache';
import { makeExt4, mountImage, unmountImage } from '../storage/image';
import { copyTemplateImage, templateImage } from '../storage/template-image';
import { VeError } from '../sys/errors';
import { parseOrBadParams } from '../sys/params';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';
import { allocateIdRange } from './idmap';
import { hostVeFiles } from './rootfs-files';
import { hashPassword, writeHostname, writePasswordHash, writeResolvConf } from './ve-files';
import { removeVeConf, veExists, writeVe } from './ve-store';
import { claimIps } from './address-index';
import type { Runtime } from './runtime';

export const createInputSchema = veConfigSchema.omit({ idmap: true }).extend({
  password: z.string().optional().describe('root password; travels on stdin to the hasher, never stored or logged'),
  passwordHash: z.string().regex(/^\$(6|5|y)\$[./A-Za-z0-9$]{8,200}$/).optional().describe('root password already hashed by the panel'),
  sshKeys: z.array(z.string().max(16_384).regex(/^[^\n\r\0]+$/)).max(32).optional().describe('authorized_keys lines for root'),
});
export type CreateInput = z.input<typeof createInputSchema>;

/** Parse and check a create request without touching anything. */
export function parseCreate(input: unknown): z.infer<typeof createInputSchema> {
  return parseOrBadParams(createInputSchema, input);
}

/**
 * Create a stopped VE. Every step registers its undo, so a failure anywhere leaves no conf,
 * image, mount, loop device, id range or address behind. `keepMounted` leaves the image mounted for a start that follows.
 */
export async function createVe(rt: Runtime, input: unknown, undo: Undo, opts: { keepMounted?: boolean; fromTree?: { dir: string; bytes: number } } = {}): Promise<VeConfig> {
  const req = parseCreate(input);
  const { password, passwordHash, sshKeys, ...rest } = req;
  checkVeAddresses(rest, rt.networks);
  const p = vePaths(rt.vzroot, req.ctid);
  if (await veExists(rt.vzroot, req.ctid)) throw new VeError('VE_EXISTS', `VE ${req.ctid} already exists`);
  await claimIps(rt.vzroot, req.ctid, rest.ips, undo);
  // An import (fromTree) brings its own files: its template name is only a label.
  const tpl = opts.fromTree ? null : await findTemplate(rt.vzroot, req.ostemplate);
  const fs = await statfs(rt.vzroot).catch(() => null);
  const need = (tpl ? tpl.manifest.sizeBytes * 4 : opts.fromTree!.bytes * 2) + 64 * 2 ** 20;
  if (fs && fs.bavail * fs.bsize < need) throw new VeError('NO_DISK_SPACE', `not enough space under ${rt.vzroot} for VE ${req.ctid}`);
  const hash = passwordHash ?? (password !== undefined ? await hashPassword(password) : undefined);

  rt.progress?.(5, 'reserving private area');
  await mkdir(path.dirname(p.private), { recursive: true, mode: 0o700 });
  // Non-recursive mkdir is the atomic "this ctid is mine" claim against a concurrent create.
  await mkdir(p.private, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'EEXIST' ? new VeError('VE_EXISTS', `private area of VE ${req.ctid} already exists`) : e;
  });
  undo.push(`remove private area ${p.private}`, () => rm(p.private, { recursive: true, force: true }));
  const first = await allocateIdRange(rt.vzroot, req.ctid, undo);
  const c: VeConfig = veConfigSchema.parse({ ...rest, idmap: { uid: first, gid: first } });

  if (tpl) {
    rt.progress?.(15, `preparing filesystem from ${tpl.manifest.name}`);
    const base = await templateImage(rt.vzroot, tpl, c.diskspace, c.diskinodes);
    await copyTemplateImage(base, p.image, undo);
  } else {
    rt.progress?.(15, `copying the VE's files from ${opts.fromTree!.dir}`);
    undo.push(`remove image ${p.image}`, () => rm(p.image, { force: true }));
    // mke2fs -d copies the tree as it is (numeric owners, modes, links, device nodes): the VE's ids map at mount.
    await makeExt4(p.image, c.diskspace, c.diskinodes, opts.fromTree!.dir).catch((e: Error) => {
      throw /allocate|space|inode|too small/i.test(e.message) ? new VeError('NO_DISK_SPACE', `the files of VE ${c.ctid} do not fit in ${c.diskspace} bytes with ${c.diskinodes} inodes`) : e;
    });
  }
  await mountImage(p.image, p.root, undo, { fresh: true });
  undo.push(`unmount and detach ${p.root}`, () => unmountImage(p.image, p.root));

  // systemd ignores LXC's default SIGPWR; it halts on SIGRTMIN+3.
  const init = await readlink(path.join(p.root, 'sbin/init')).catch(() => '');
  if (/systemd/.test(init) && c.haltsignal === 'SIGPWR') c.haltsignal = 'SIGRTMIN+3';

  rt.progress?.(80, 'writing identity');
  const files = hostVeFiles(p.root);
  await writeHostname(files, c.hostname);
  await writeResolvConf(files, c.nameservers, c.searchdomain);
  if (hash) await writePasswordHash(files, 'root', hash);
  if (sshKeys?.length) {
    await mkdir(path.join(p.root, 'root/.ssh'), { recursive: true, mode: 0o700 });
    await files.write('root/.ssh/authorized_keys', sshKeys.join('\n') + '\n', 0o600);
  }

  await writeVe(rt.vzroot, c, rt.bridge);
  undo.push(`remove config of VE ${c.ctid}`, async () => {
    await removeVeConf(rt.vzroot, c.ctid);
    await rm(p.lxcDir, { recursive: true, force: true });
  });
  // A start follows (ve.create start:true): it would mount again at once; the undo above still unmounts on failure.
  if (!opts.keepMounted) await unmountImage(p.image, p.root);
  rt.progress?.(100, 'created');
  return c;
}

export { veLimitsSchema };
