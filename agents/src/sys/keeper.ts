// The daemon's background keepers (rate caps, reboots): a pass every few seconds, never two at once.

/** Takes the VE's operation lock (so no operation runs on it meanwhile); undefined = busy, try next pass. */
export type TryLockVe = (ctid: number) => (() => void) | undefined;

export interface KeeperLog { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }

/**
 * Runs `first` (if any) at once, then `each` every `everyMs`; a pass still running makes the next one
 * skip. A failed pass is logged as `what` and the timer goes on. Returns the stop function.
 */
export function startKeeper(o: { what: string; everyMs: number; each: () => Promise<unknown>; first?: () => Promise<unknown>; log: KeeperLog }): () => void {
  let busy = false;
  const pass = (fn: () => Promise<unknown>) => {
    if (busy) return;
    busy = true;
    void fn().catch((err: Error) => o.log.warn({ err: err.message }, `${o.what} pass failed`)).finally(() => { busy = false; });
  };
  if (o.first) pass(o.first);
  const t = setInterval(() => pass(o.each), o.everyMs);
  t.unref();
  return () => clearInterval(t);
}
