// The node-wide post-stop hook every VE's LXC config names (lxc-config.ts), and the reboot notes it
// leaves for the agent (reboot.ts says why).
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { veStopHookPath } from '../sys/paths';

export const rebootNotesDir = (vzroot: string) => path.join(vzroot, 'reboot');

function hookScript(vzroot: string): string {
  if (vzroot.includes("'")) throw new Error(`vzroot ${vzroot} may not contain a quote`);
  return [
    '#!/bin/sh',
    '# Written by vzagentd (agents/src/lxc/stop-hook.ts, reboot.ts); LXC runs it after every stop of a VE on this node.',
    '# A VE that asked for a reboot leaves a note: the agent starts it again (LXC 5.0 cannot, in place).',
    '[ "$LXC_TARGET" = reboot ] || exit 0',
    'case "$LXC_NAME" in \'\'|*[!0-9]*) exit 0 ;; esac',
    `: > '${rebootNotesDir(vzroot)}'/"$LXC_NAME"`,
    '',
  ].join('\n');
}

const hooksReady = new Set<string>();

/** Writes the node's post-stop hook (once per process and vzroot; rewritten when its text changed). */
export async function ensureStopHook(vzroot: string): Promise<void> {
  if (hooksReady.has(vzroot)) return;
  const file = veStopHookPath(vzroot);
  const text = hookScript(vzroot);
  await mkdir(rebootNotesDir(vzroot), { recursive: true, mode: 0o700 });
  if ((await readFile(file, 'utf8').catch(() => '')) !== text) {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(`${file}.new`, text, { mode: 0o700 });
    await rename(`${file}.new`, file); // LXC may run the old one meanwhile: never a half-written file
  }
  hooksReady.add(vzroot);
}

/** A start, stop or destroy by the agent supersedes a reboot the VE asked for before it (one unlink). */
export async function clearRebootNote(vzroot: string, ctid: number): Promise<void> {
  await rm(path.join(rebootNotesDir(vzroot), String(ctid)), { force: true });
}

