// vzctl set --sshkey-like edits of a VE's /root/.ssh/authorized_keys: add and remove keys by their
// type and body, keep every other line (keys root added inside the VE stay theirs).
import { lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ctidSchema } from '../config/validate';
import { mountImage, mountPointSource, unmountImage } from '../storage/image';
import { VeError } from '../sys/errors';
import { parseOrBadParams } from '../sys/params';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';
import { confirmedStopped, lxcAttach, lxcState } from './lxc-cli';
import { attachedVeFiles, hostVeFiles, type VeFiles } from './rootfs-files';
import { readVe } from './ve-store';
import type { Runtime } from './runtime';

const Line = z.string().min(1).max(16_384).regex(/^[^\n\r\0]+$/);
export const sshKeysInputSchema = z.object({ ctid: ctidSchema, add: z.array(Line).max(64).default([]), remove: z.array(Line).max(64).default([]) });

const FILE = 'root/.ssh/authorized_keys';
const KEY_TYPE = /^(ssh-|ecdsa-|sk-)/;

/** "type body" of an authorized_keys line (after any options); null for comments, blanks and junk. */
export function keyBody(line: string): string | null {
  const t = line.trim();
  if (!t || t.startsWith('#')) return null;
  const words = t.split(/\s+/);
  const i = words.findIndex((w) => KEY_TYPE.test(w));
  return i >= 0 && words[i + 1] ? `${words[i]} ${words[i + 1]}` : null;
}

/** The file after the edit: removed keys dropped, new ones appended once, everything else as it was. */
export function editAuthorizedKeys(current: string, add: string[], remove: string[]): string {
  const drop = new Set(remove.map(keyBody).filter((b): b is string => !!b));
  const kept = current.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === '')).filter((l) => !drop.has(keyBody(l) ?? ''));
  const have = new Set(kept.map(keyBody));
  for (const line of add) {
    const b = keyBody(line);
    if (!b) throw new VeError('BAD_PARAMS', `not an OpenSSH public key line: ${line.slice(0, 40)}`);
    if (!have.has(b)) { kept.push(line.trim()); have.add(b); }
  }
  return kept.length ? kept.join('\n') + '\n' : '';
}

// A stopped VE's /root/.ssh made through its mount: no symlinked component may lead out of the VE.
async function hostSshDir(root: string): Promise<void> {
  for (const rel of ['root', 'root/.ssh']) {
    const p = path.join(root, rel);
    const st = await lstat(p).catch(() => null);
    if (!st) await mkdir(p, { mode: 0o700 });
    else if (st.isSymbolicLink() || !st.isDirectory()) throw new VeError('INTERNAL', `/${rel} in the VE is not a plain directory`);
  }
}

export async function setSshKeys(rt: Runtime, input: unknown, undo: Undo): Promise<{ ctid: number; keys: string[]; live: boolean }> {
  const s = parseOrBadParams(sshKeysInputSchema, input);
  await readVe(rt.vzroot, s.ctid);
  const p = vePaths(rt.vzroot, s.ctid);
  const st = await lxcState(s.ctid, p.lxcpath);
  if (st === 'FROZEN') throw new VeError('VE_RUNNING', `VE ${s.ctid} is suspended; resume it first`);
  const edit = async (files: VeFiles) => {
    const next = editAuthorizedKeys((await files.read(FILE)) ?? '', s.add, s.remove);
    await files.write(FILE, next, 0o600);
    return next.split('\n').filter((l) => keyBody(l));
  };
  if (st === 'RUNNING') {
    const mk = await lxcAttach(s.ctid, p.lxcpath, ['mkdir', '-p', '-m', '700', '/root/.ssh'], { timeoutMs: 15_000 });
    if (mk.code !== 0) throw new VeError('INTERNAL', `cannot make /root/.ssh in VE ${s.ctid}: ${mk.stderr.trim()}`);
    const keys = await edit(attachedVeFiles(s.ctid, p.lxcpath));
    // sshd ignores a group- or world-writable file; tee keeps the mode of one that existed.
    await lxcAttach(s.ctid, p.lxcpath, ['chmod', '600', `/${FILE}`], { timeoutMs: 15_000 });
    return { ctid: s.ctid, keys, live: true };
  }
  if (!confirmedStopped(st)) throw new VeError('VE_RUNNING', `VE ${s.ctid} is ${st}, not confirmed stopped; try again`);
  const wasMounted = !!(await mountPointSource(p.root));
  await mountImage(p.image, p.root, undo);
  try {
    await hostSshDir(p.root);
    return { ctid: s.ctid, keys: await edit(hostVeFiles(p.root)), live: false };
  } finally {
    if (!wasMounted) await unmountImage(p.image, p.root);
  }
}
