/** Keys whose values never reach a log line or a journal file. */
const SECRET_KEY = /pass(word|wd|phrase)?|secret|key|token|credential/i;

/**
 * Deep copy of `value` with every field whose name looks secret (password, secret, *key*, token)
 * replaced by '[redacted]'. Use at every boundary where params are logged or persisted.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) ? '[redacted]' : redactSecrets(v, depth + 1);
  }
  return out;
}
