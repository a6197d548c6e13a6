// Puts a VE's rate caps back when its veth was replaced behind the agent's back: a VE that reboots
// from inside is restarted by its LXC monitor with a new veth and no qdiscs. Each pass costs one
// sysfs read per capped VE (no process); only a changed veth costs tc runs.
import { vethName } from '../config/schema';
import { listCtids, readVe } from '../lxc/ve-store';
import { startKeeper, type KeeperLog, type TryLockVe } from '../sys/keeper';
import { applyShaping, effectiveRate, ifindexOf, readShaping, sameRate, shapedVeths } from './shaping';

async function reapply(vzroot: string, ctid: number, tryLock: TryLockVe, log: KeeperLog, why: string): Promise<void> {
  const release = tryLock(ctid);
  if (!release) return;
  try {
    const c = await readVe(vzroot, ctid).catch(() => undefined);
    const rate = c ? effectiveRate(c.bandwidth, c.throttle) : 0;
    if (!rate) { shapedVeths.delete(ctid); return; }
    const live = await readShaping(ctid);
    if (!live) return; // stopped meanwhile; the next start applies the caps
    if (sameRate(live.toVe, rate) && sameRate(live.fromVe, rate)) {
      const ifindex = await ifindexOf(vethName(ctid));
      if (ifindex !== undefined) shapedVeths.set(ctid, { ifindex, rate });
      return;
    }
    await applyShaping(ctid, rate);
    log.info({ ve: ctid, rate, why }, 'rate caps put back');
  } catch (err) {
    log.warn({ ve: ctid, err: (err as Error).message }, 'cannot put rate caps back; will retry');
  } finally {
    release();
  }
}

/** One pass over the VEs this process capped: those with a new veth get their caps again. */
export async function keepShapingOnce(vzroot: string, tryLock: TryLockVe, log: KeeperLog): Promise<void> {
  for (const [ctid, s] of [...shapedVeths]) {
    const ifindex = await ifindexOf(vethName(ctid));
    if (ifindex !== undefined && ifindex !== s.ifindex) await reapply(vzroot, ctid, tryLock, log, 'new veth');
  }
}

/** At daemon start: every running VE with a cap in its conf is checked once (caps set by an earlier agent, or lost meanwhile). */
export async function adoptShapedVes(vzroot: string, tryLock: TryLockVe, log: KeeperLog): Promise<void> {
  for (const ctid of await listCtids(vzroot)) {
    const c = await readVe(vzroot, ctid).catch(() => undefined);
    if (!c || !effectiveRate(c.bandwidth, c.throttle) || (await ifindexOf(vethName(ctid))) === undefined) continue;
    await reapply(vzroot, ctid, tryLock, log, 'agent start');
  }
}

/** Runs adoptShapedVes once, then keepShapingOnce every `everyMs`; returns the stop function. */
export function startShapingKeeper(vzroot: string, tryLock: TryLockVe, log: KeeperLog, everyMs = 10_000): () => void {
  return startKeeper({
    what: 'rate-cap keeper', everyMs, log,
    first: () => adoptShapedVes(vzroot, tryLock, log),
    each: () => keepShapingOnce(vzroot, tryLock, log),
  });
}
