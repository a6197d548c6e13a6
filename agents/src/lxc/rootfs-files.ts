// Reading and writing a VE's own files (/etc/hostname, shadow...) without trusting its contents.
import { lstat, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { VeError } from '../sys/errors';
import { lxcAttach } from './lxc-cli';

export interface VeFiles {
  read(rel: string): Promise<string | undefined>;
  write(rel: string, data: string, mode: number): Promise<void>;
}

/** Resolve `rel` under `root`, refusing `..` and any symlinked or non-directory parent. */
async function safeParent(root: string, rel: string): Promise<string> {
  const parts = rel.split('/').filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === '..' || p === '.')) throw new VeError('BAD_PARAMS', `bad VE path ${rel}`);
  let cur = root;
  for (const p of parts.slice(0, -1)) {
    cur = path.join(cur, p);
    const st = await lstat(cur).catch(() => null);
    if (!st || st.isSymbolicLink() || !st.isDirectory()) throw new VeError('INTERNAL', `VE path /${parts.join('/')}: /${path.relative(root, cur)} is not a plain directory`);
  }
  return path.join(cur, parts.at(-1)!);
}

/**
 * Files of a STOPPED VE through its host mount. The VE's root could have planted symlinks, so
 * no path component may be a symlink, and writes go through a new file renamed over the old
 * (rename replaces a symlink instead of following it). Never use this while the VE runs.
 */
export function hostVeFiles(root: string): VeFiles {
  return {
    async read(rel) {
      const f = await safeParent(root, rel);
      const st = await lstat(f).catch(() => null);
      if (!st) return undefined;
      if (!st.isFile()) throw new VeError('INTERNAL', `VE file /${rel} is not a regular file`);
      return readFile(f, 'utf8');
    },
    async write(rel, data, mode) {
      const f = await safeParent(root, rel);
      // Keep the owner and mode of the file being replaced (e.g. Debian's root:shadow 0640).
      const old = await lstat(f).catch(() => null);
      const keep = old?.isFile() ? old : null;
      const tmp = `${f}.vz-${randomBytes(4).toString('hex')}`;
      const fh = await open(tmp, 'wx', mode);
      try {
        await fh.writeFile(data);
        if (keep) await fh.chown(keep.uid, keep.gid);
        await fh.chmod(keep ? keep.mode & 0o7777 : mode);
      } finally {
        await fh.close();
      }
      await rename(tmp, f).catch(async (e) => { await rm(tmp, { force: true }); throw e; });
    },
  };
}

/** Files of a RUNNING VE, read and written by the VE's own root inside its namespaces. */
export function attachedVeFiles(ctid: number, lxcpath: string): VeFiles {
  return {
    async read(rel) {
      const r = await lxcAttach(ctid, lxcpath, ['cat', `/${rel}`], { timeoutMs: 15_000 });
      return r.code === 0 ? r.stdout : undefined;
    },
    async write(rel, data) {
      // Content on stdin; no shell. tee keeps an existing file's owner and mode.
      const w = await lxcAttach(ctid, lxcpath, ['tee', `/${rel}`], { input: data, timeoutMs: 15_000 });
      if (w.code !== 0) throw new VeError('INTERNAL', `cannot write /${rel} in VE ${ctid}: ${w.stderr.trim()}`);
    },
  };
}
