// The one way a zod failure becomes BAD_PARAMS: the message and data.field name the first bad field.
import type { z } from 'zod';
import { VeError } from './errors';

export interface BadParamsOptions {
  /** Leads the message, e.g. `invalid params for ve.create`. */
  what?: string;
  /** Path of the parsed value inside the request (e.g. `config`), prefixed to every field. */
  at?: string;
}

/** BAD_PARAMS naming the first bad field (message and data.field), with every issue in data.issues. */
export function badParams(error: z.ZodError, opts: BadParamsOptions = {}): VeError {
  const issues = error.issues.map((i) => ({ path: [opts.at, ...i.path.map(String)].filter(Boolean).join('.'), message: i.message }));
  const first = issues[0];
  const where = first?.path ? `${first.path}: ` : '';
  return new VeError('BAD_PARAMS', `${opts.what ? `${opts.what}: ` : ''}${where}${first?.message ?? 'invalid'}`, { field: first?.path ?? '', issues });
}

/** `schema.parse(input)`, failing with badParams() instead of a ZodError. */
export function parseOrBadParams<S extends z.ZodType>(schema: S, input: unknown, opts: BadParamsOptions = {}): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw badParams(r.error, opts);
}
