// vzctl reinstall (VZ7): a fresh root filesystem from a template; same ctid, addresses, limits and root password.
import { readlink, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ctidSchema } from '../config/validate';
import { TEMPLATE_NAME_RE } from '../templates/manifest';
import { findTemplate } from '../templates/cache';
import { mountImage, unmountImage } from '../storage/image';
import { copyTemplateImage, templateImage } from '../storage/template-image';
import { parseOrBadParams } from '../sys/params';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';
import { assertStopped, lxcState } from './lxc-cli';
import { hostVeFiles } from './rootfs-files';
import { hashPassword, writeHostname, writePasswordHash, writeResolvConf } from './ve-files';
import { readVe, writeVe } from './ve-store';
import type { Runtime } from './runtime';
import type { VeConfig } from '../config/schema';

export const reinstallInputSchema = z.object({
  ctid: ctidSchema,
  ostemplate: z.string().regex(TEMPLATE_NAME_RE).optional().describe('default: the template the VE has'),
  password: z.string().min(1).max(256).optional(),
  passwordHash: z.string().regex(/^\$(6|5|y)\$[./A-Za-z0-9$]{8,200}$/).optional(),
});

/** Root's current hash from a stopped VE's shadow (kept across the reinstall unless a new one is given). */
async function currentRootHash(image: string, root: string, undo: Undo): Promise<string | undefined> {
  await mountImage(image, root, undo);
  try {
    const shadow = await hostVeFiles(root).read('etc/shadow').catch(() => undefined);
    const hash = shadow?.split('\n').find((l) => l.startsWith('root:'))?.split(':')[1];
    return hash && hash.startsWith('$') ? hash : undefined;
  } finally {
    await unmountImage(image, root);
  }
}

export async function reinstallVe(rt: Runtime, input: unknown, undo: Undo): Promise<VeConfig> {
  const r = parseOrBadParams(reinstallInputSchema, input);
  const cur = await readVe(rt.vzroot, r.ctid);
  const p = vePaths(rt.vzroot, r.ctid);
  const st = await lxcState(r.ctid, p.lxcpath);
  assertStopped(r.ctid, st, 'stop it first');
  const tpl = await findTemplate(rt.vzroot, r.ostemplate ?? cur.ostemplate);
  await unmountImage(p.image, p.root);
  const hash = r.passwordHash ?? (r.password ? await hashPassword(r.password) : await currentRootHash(p.image, p.root, undo));

  const fresh = `${p.image}.new`;
  await rm(fresh, { force: true });
  rt.progress?.(10, `preparing filesystem from ${tpl.manifest.name}`);
  await copyTemplateImage(await templateImage(rt.vzroot, tpl, cur.diskspace, cur.diskinodes), fresh, undo);
  await mountImage(fresh, p.root, undo);
  undo.push(`unmount ${p.root}`, () => unmountImage(fresh, p.root));
  const init = await readlink(path.join(p.root, 'sbin/init')).catch(() => '');
  const next: VeConfig = { ...cur, ostemplate: tpl.manifest.name, haltsignal: /systemd/.test(init) ? 'SIGRTMIN+3' : 'SIGPWR' };
  const files = hostVeFiles(p.root);
  await writeHostname(files, next.hostname);
  await writeResolvConf(files, next.nameservers, next.searchdomain);
  if (hash) await writePasswordHash(files, 'root', hash);
  await unmountImage(fresh, p.root);

  // Swap images: the old one is kept aside until the new one is in place, then removed.
  const old = `${p.image}.old`;
  await rename(p.image, old);
  undo.push('put the old image back', () => rename(old, p.image));
  await rename(fresh, p.image);
  await writeVe(rt.vzroot, next, rt.bridge);
  await rm(old, { force: true });
  rt.progress?.(100, 'reinstalled');
  return next;
}
