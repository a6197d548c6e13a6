// One copy pass of migrate.send: the whole tree, or (final pass of a frozen VE) only what changed
// since the first pass began (changes.ts), with the full rescan whenever that list cannot be trusted.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { changesSince, takeBaseline, type ChangeSelection } from './changes';
import { dropFinalPass, useFinalPass } from './held';
import { frozenWalk } from './manifest';
import { parseRsyncStats, rsyncTo, type SendStats, type SendTarget } from './send';
import { migrateDir, readSourceMarker } from './state';

export interface PassInput { ctid: number; target: SendTarget; privateKey: string; bwlimitKBps: number; track?: boolean; changedOnly?: boolean }

/** held: the list went to the pass opened before the freeze (held.ts); heldFailed: that one ended badly and a fresh rsync ran. */
type Selection = { mode: 'changed' | 'full'; listed?: number; entries?: number; reason?: string; walkMs?: number; rsyncMs?: number; held?: boolean; heldFailed?: string };
type PassResult = SendStats & { ms: number; partial?: string; selection?: Selection };

/** The change list of a frozen root, or why there is none (the walk is shared with the verify's manifest). */
async function selectChanges(vzroot: string, ctid: number, root: string): Promise<ChangeSelection> {
  const marker = await readSourceMarker(vzroot, ctid);
  if (!marker?.frozen) return { reason: 'the VE was not frozen by this migration' };
  return changesSince(root, await frozenWalk(root, marker.at));
}

/**
 * Copies `root` to the target. `live` (the VE runs during this pass) with `track`: the change
 * baseline is taken first. `changedOnly`: the listed changes only, or the whole tree with the
 * reason in `selection`; an empty list sends nothing (the verify that follows still compares all).
 */
export async function copyPass(vzroot: string, root: string, p: PassInput, live: boolean): Promise<PassResult> {
  // The final pass runs in the pause: whole files, no delta checksums (see rsyncOptions).
  const wholeFiles = !!p.changedOnly;
  const full = (selection?: Selection) => rsyncTo(vzroot, p.ctid, root, p.target, p.privateKey, p.bwlimitKBps, live, { wholeFiles }).then((r) => ({ ...r, ...(selection ? { selection } : {}) }));
  if (p.track && live) await takeBaseline(root);
  if (!p.changedOnly) {
    if (!live) await dropFinalPass(vzroot, p.ctid); // a full final pass: a held one would only sit there
    return full();
  }
  const t0 = Date.now();
  const sel = await selectChanges(vzroot, p.ctid, root).catch((e: Error) => ({ reason: `the change list failed: ${e.message}` }));
  const walkMs = Date.now() - t0;
  if ('reason' in sel) {
    await dropFinalPass(vzroot, p.ctid);
    return full({ mode: 'full', reason: sel.reason, walkMs });
  }
  const selection: Selection = { mode: 'changed', listed: sel.list.length, entries: sel.entries, walkMs };
  // The pass opened before the freeze: only the list is left to write (an empty one ends it cleanly).
  const h = await useFinalPass(vzroot, p.ctid, sel.list);
  if (h?.code === 0) return { ...parseRsyncStats(h.stdout), ms: h.ms + walkMs, selection: { ...selection, rsyncMs: h.ms, held: true } };
  if (h) selection.heldFailed = `exit ${h.code}: ${h.stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`;
  if (sel.list.length === 0) return { filesTransferred: 0, bytesTransferred: 0, totalBytes: 0, ms: walkMs, selection };
  const file = path.join(migrateDir(vzroot), `${p.ctid}.changed`);
  await writeFile(file, sel.list.join('\0') + '\0', { mode: 0o600 });
  try {
    const r = await rsyncTo(vzroot, p.ctid, root, p.target, p.privateKey, p.bwlimitKBps, live, { filesFrom: file, wholeFiles });
    return { ...r, ms: r.ms + walkMs, selection: { ...selection, rsyncMs: r.ms } };
  } finally {
    await rm(file, { force: true });
  }
}
