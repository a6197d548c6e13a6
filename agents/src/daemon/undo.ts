import type { Logger } from 'pino';

interface UndoStep {
  name: string;
  fn: () => Promise<void> | void;
}

export interface UndoFailure {
  step: string;
  error: string;
}

/**
 * Undo steps for multi-step work: push one after each step that changed something; on
 * failure `unwind()` runs them newest-first. A failing step is logged and the rest still run.
 */
export class UndoStack {
  private steps: UndoStep[] = [];
  constructor(private readonly logger?: Logger) {}

  push(name: string, fn: () => Promise<void> | void): void {
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
}
