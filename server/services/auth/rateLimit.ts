import { AppError } from '@/server/errors';

/**
 * Fixed-window failure counter per key (e.g. "login:<email>"). In-process only: with several
 * panel processes each enforces its own window, which still bounds guessing to N x limit.
 */
export class FailureLimiter {
  private readonly hits = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Throws RATE_LIMITED when `key` already failed `limit` times in the current window. */
  check(key: string): void {
    const h = this.hits.get(key);
    if (h && h.resetAt > Date.now() && h.count >= this.limit) {
      const seconds = Math.ceil((h.resetAt - Date.now()) / 1000);
      throw new AppError('RATE_LIMITED', `Too many failed attempts; try again in ${seconds} s`, { retryAfterSeconds: seconds });
    }
  }

  fail(key: string): void {
    const now = Date.now();
    const h = this.hits.get(key);
    if (!h || h.resetAt <= now) this.hits.set(key, { count: 1, resetAt: now + this.windowMs });
    else h.count += 1;
    if (this.hits.size > 10_000) for (const [k, v] of this.hits) if (v.resetAt <= now) this.hits.delete(k);
  }

  reset(key: string): void {
    this.hits.delete(key);
  }
}
