// A VE that reboots from inside (`reboot` in a shell, systemd's reboot) comes back through the agent's
// own start. LXC 5.0 restarts such a VE in place, inside its monitor, and that restart cannot open the
// VE's root: the first start opened it from the host's side for the idmapped mount, the restart opens
// it as the VE's mapped root, which cannot reach <vzroot>/root. The VE then stays stopped. (Made
// reachable, the restart comes up without the idmapped mount: every file nobody's.) So the VE's
// post-stop hook (stop-hook.ts, one node-wide script) leaves a note when LXC_TARGET is "reboot", and
// the daemon's keeper (here) starts every VE with a note once its monitor has given up.
import { readdir } from 'node:fs/promises';
import { lxcState } from './lxc-cli';
import { releaseRunningResources, startVe } from './power';
import { withUndo } from '../sys/undo';
import { vePaths } from '../sys/paths';
import type { Runtime } from './runtime';
import { startKeeper, type KeeperLog, type TryLockVe } from '../sys/keeper';
import { clearRebootNote, rebootNotesDir } from './stop-hook';

/**
 * One pass: every VE with a note whose monitor has given up (STOPPED) is started again, under its
 * lock (a VE busy with an operation waits for the next pass). Costs one readdir of an empty folder
 * when no VE rebooted. Returns the ctids started.
 */
export async function restartRebootedOnce(rt: Runtime, tryLock: TryLockVe, log: KeeperLog): Promise<number[]> {
  const started: number[] = [];
  const notes = await readdir(rebootNotesDir(rt.vzroot)).catch(() => [] as string[]);
  for (const name of notes.filter((n) => /^\d+$/.test(n))) {
    const ctid = Number(name);
    const release = tryLock(ctid);
    if (!release) continue;
    try {
      const st = await lxcState(ctid, vePaths(rt.vzroot, ctid).lxcpath);
      if (st === 'STARTING' || st === 'STOPPING' || st === 'ABORTING') continue; // LXC's own restart still running
      if (st === 'STOPPED') {
        await releaseRunningResources(rt, ctid); // what the run before the reboot held: filter, mount
        await withUndo((u) => startVe(rt, ctid, u));
        started.push(ctid);
        log.info({ ve: ctid }, 'VE rebooted from inside: started again');
      } else await clearRebootNote(rt.vzroot, ctid); // running (restarted in place) or gone: nothing to do
    } catch (err) {
      await clearRebootNote(rt.vzroot, ctid);
      log.warn({ ve: ctid, err: (err as Error).message }, 'VE rebooted from inside and could not be started again');
    } finally {
      release();
    }
  }
  return started;
}

/** Runs restartRebootedOnce every `everyMs`; returns the stop function. */
export function startRebootKeeper(rt: Runtime, tryLock: TryLockVe, log: KeeperLog, everyMs = 1_000): () => void {
  return startKeeper({ what: 'reboot keeper', everyMs, log, each: () => restartRebootedOnce(rt, tryLock, log) });
}
