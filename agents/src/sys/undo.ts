// The agent's one undo kind: handlers get one from the daemon and pass it down; library callers use withUndo.
import type { Logger } from 'pino';

interface UndoStep {
  name: string;
  fn: () => unknown;
}

export interface UndoFailure {
  step: string;
  error: string;
}

/**
 * Undo steps for multi-step work: push one after each step that changed something; on
 * failure `unwind()` runs them newest-first. A failing step is logged and the rest still run.
 */
export class Undo {
  private steps: UndoStep[] = [];
  constructor(private readonly logger?: Pick<Logger, 'info' | 'error'>) {}

  /** Register a step that reverses what was just done; steps unwind newest first. */
  push(name: string, fn: () => unknown): void {
    this.steps.push({ name, fn });
  }

  get size(): number {
    return this.steps.length;
  }

  /** Forget all steps: the work succeeded and must be kept. */
  commit(): void {
    this.steps = [];
  }

  /** Runs every step in reverse order; returns the ones that failed (never throws). */
  async unwind(): Promise<UndoFailure[]> {
    const failures: UndoFailure[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.fn();
        this.logger?.info({ step: step.name }, 'undo step done');
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        failures.push({ step: step.name, error });
        this.logger?.error({ step: step.name, err: error }, 'undo step failed');
      }
    }
    return failures;
  }

  /**
   * Runs `fn` as one all-or-nothing step: if it throws, what it registered is undone at once
   * (a half-done step never waits for the caller's unwind); if it succeeds, its steps join this stack.
   */
  async atomic<T>(fn: (u: Undo) => Promise<T>): Promise<T> {
    const inner = new Undo(this.logger);
    let r: T;
    try {
      r = await fn(inner);
    } catch (e) {
      await inner.unwind();
      throw e;
    }
    this.steps.push(...inner.steps);
    return r;
  }
}

/** Run `fn` with a fresh Undo that unwinds if it throws (for callers outside the daemon: tests, boot). */
export async function withUndo<T>(fn: (undo: Undo) => Promise<T>): Promise<T> {
  const undo = new Undo();
  try {
    const r = await fn(undo);
    undo.commit();
    return r;
  } catch (e) {
    await undo.unwind();
    throw e;
  }
}
