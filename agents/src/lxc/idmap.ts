// Per-VE uid/gid ranges: 65,536 ids each, disjoint, carved from root's /etc/subuid range.
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { IDMAP_SIZE } from '../config/schema';
import { ensureSubids, type SubidRange } from '../setup/node-prereqs';
import { VeError } from '../sys/errors';
import type { Undo } from '../sys/undo';

const dirOf = (vzroot: string) => path.join(vzroot, 'idmap');

/**
 * Reserve the lowest free 65,536-id slot for `ctid`. The reservation is a file created with
 * O_EXCL (`<vzroot>/idmap/<firstId>`), so two concurrent creates can never get one range.
 */
export async function allocateIdRange(vzroot: string, ctid: number, undo: Undo, range?: SubidRange): Promise<number> {
  const r = range ?? (await ensureSubids());
  const dir = dirOf(vzroot);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const used = new Set((await readdir(dir)).filter((f) => /^\d+$/.test(f)).map(Number));
  const slots = Math.floor(r.count / IDMAP_SIZE);
  for (let i = 0; i < slots; i++) {
    const first = r.start + i * IDMAP_SIZE;
    if (used.has(first)) continue;
    try {
      const fh = await open(path.join(dir, String(first)), 'wx', 0o600);
      await fh.writeFile(`${ctid}\n`);
      await fh.close();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    undo.push(`release id range ${first}`, () => releaseIdRange(vzroot, first));
    return first;
  }
  throw new VeError('INTERNAL', `no free id range left in root's sub-id range ${r.start}+${r.count}`);
}

export async function releaseIdRange(vzroot: string, first: number): Promise<void> {
  await rm(path.join(dirOf(vzroot), String(first)), { force: true });
}

/** first id -> ctid for every reservation (for audits and tests). */
export async function idRanges(vzroot: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const f of await readdir(dirOf(vzroot)).catch(() => [] as string[])) {
    if (/^\d+$/.test(f)) out.set(Number(f), Number((await readFile(path.join(dirOf(vzroot), f), 'utf8')).trim()));
  }
  return out;
}
