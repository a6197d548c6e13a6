// Putting a prepared image in place of a VE's: stop if running, one rename, start again if it ran.
import { rename } from 'node:fs/promises';
import { startVe, stopVe, veStatus } from '../lxc/power';
import type { Runtime } from '../lxc/runtime';
import { unmountImage } from '../storage/image';
import { vePaths } from '../sys/paths';
import { Undo } from '../sys/undo';
import type { Work } from './work';

export interface SwapOutcome { status: 'running' | 'stopped'; wasRunning: boolean }

/**
 * Replaces the VE's image with `fresh` (verified, unmounted, on the same filesystem). The rename
 * is atomic, so the VE has its old data or the new, never a mix; the work's state says 'swapping'
 * once the VE is down, and an agent killed from there on finishes the rename at its next start.
 * The VE's conf (ctid, addresses, limits) is untouched. `start` defaults to "as it was".
 */
export async function swapImage(rt: Runtime, ctid: number, fresh: string, work: Work, undo: Undo, start?: boolean): Promise<SwapOutcome> {
  const p = vePaths(rt.vzroot, ctid);
  const before = await veStatus(rt, ctid);
  const wasRunning = before.status === 'running' || before.status === 'suspended';
  if (wasRunning) {
    rt.progress?.(85, 'stopping the VE');
    await stopVe(rt, ctid, { timeoutSec: 30 });
  } else {
    await unmountImage(p.image, p.root);
  }
  try {
    await work.save({ phase: 'swapping', wasRunning, image: fresh, target: p.image });
    await rename(fresh, p.image);
  } catch (e) {
    // the old data is still in place: the VE runs it again rather than staying down
    if (wasRunning) await startVe(rt, ctid, new Undo()).catch(() => undefined);
    throw e;
  }
  await work.save({ image: undefined, phase: undefined });
  if (start ?? wasRunning) {
    rt.progress?.(95, 'starting the VE');
    await startVe(rt, ctid, undo);
    return { status: 'running', wasRunning };
  }
  return { status: 'stopped', wasRunning };
}
