// The minimal undo contract the runtime needs; the daemon's UndoStack satisfies it structurally.
export interface UndoLike {
  /** Register a step that reverses what was just done; steps unwind newest first. */
  push(label: string, fn: () => unknown): void;
}

/** A small stack for library callers and tests that run outside the daemon. */
export class LocalUndo implements UndoLike {
  private steps: { label: string; fn: () => unknown }[] = [];
  readonly errors: string[] = [];

  push(label: string, fn: () => unknown): void {
    this.steps.push({ label, fn });
  }

  /** Run every step newest first; a failing step is recorded and the rest still run. */
  async unwind(): Promise<void> {
    while (this.steps.length) {
      const s = this.steps.pop()!;
      try {
        await s.fn();
      } catch (e) {
        this.errors.push(`${s.label}: ${(e as Error).message}`);
      }
    }
  }

  /** Forget the steps once the whole operation succeeded. */
  commit(): void {
    this.steps = [];
  }

  get size(): number {
    return this.steps.length;
  }
}

/** Run `fn` with a fresh LocalUndo that unwinds if it throws. */
export async function withUndo<T>(fn: (undo: LocalUndo) => Promise<T>): Promise<T> {
  const undo = new LocalUndo();
  try {
    const r = await fn(undo);
    undo.commit();
    return r;
  } catch (e) {
    await undo.unwind();
    throw e;
  }
}
