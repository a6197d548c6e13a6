import type { z } from 'zod';
import { AgentError } from './errors';

/** Parses with zod; failure -> BAD_PARAMS naming the first bad field (data.field) and all issues. */
export function parseParams<S extends z.ZodType>(method: string, schema: S, params: unknown): z.output<S> {
  const r = schema.safeParse(params);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const first = issues[0];
  const where = first?.path ? `${first.path}: ` : '';
  throw new AgentError('BAD_PARAMS', `invalid params for ${method}: ${where}${first?.message ?? 'invalid'}`, {
    field: first?.path ?? '',
    issues,
  });
}
