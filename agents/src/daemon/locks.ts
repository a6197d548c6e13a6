export interface LockHolder {
  method: string;
  opId: string;
}

/** In-memory per-VE locks: one mutating operation per VE at a time. */
export class VeLocks {
  private held = new Map<number, LockHolder>();

  /** Takes the lock, or returns the current holder when the VE is busy. */
  tryAcquire(ve: number, holder: LockHolder): { ok: true; release: () => void } | { ok: false; holder: LockHolder } {
    const cur = this.held.get(ve);
    if (cur) return { ok: false, holder: cur };
    this.held.set(ve, holder);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        if (this.held.get(ve) === holder) this.held.delete(ve);
      },
    };
  }

  holderOf(ve: number): LockHolder | undefined {
    return this.held.get(ve);
  }
}
