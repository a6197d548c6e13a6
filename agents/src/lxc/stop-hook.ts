// The node-wide post-stop hook every VE's LXC config names (lxc-config.ts), and the reboot notes it
// leaves for the agent (reboot.ts says why).
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { atomicWrite } from '../sys/atomic-write';
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

const hooksReady = new Map<string, Promise<void>>();

/**
 * Writes the node's post-stop hook, once per process and vzroot (rewritten when its text changed), for
 * writeVe, which renders the configs that name it. Concurrent writers share the one write; a failed
 * write is tried again by the next.
 */
export function ensureStopHook(vzroot: string): Promise<void> {
  let ready = hooksReady.get(vzroot);
  if (!ready) {
    ready = writeStopHook(vzroot).catch((e: unknown) => { hooksReady.delete(vzroot); throw e; });
    hooksReady.set(vzroot, ready);
  }
  return ready;
}

async function writeStopHook(vzroot: string): Promise<void> {
  const file = veStopHookPath(vzroot);
  const text = hookScript(vzroot);
  await mkdir(rebootNotesDir(vzroot), { recursive: true, mode: 0o700 });
  if ((await readFile(file, 'utf8').catch(() => '')) !== text) await atomicWrite(file, text, 0o700);
}

/** A start, stop or destroy by the agent supersedes a reboot the VE asked for before it (one unlink). */
export async function clearRebootNote(vzroot: string, ctid: number): Promise<void> {
  await rm(path.join(rebootNotesDir(vzroot), String(ctid)), { force: true });
}

