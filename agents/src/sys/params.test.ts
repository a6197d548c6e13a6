import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseOrBadParams } from './params';

describe('parseOrBadParams', () => {
  const schema = z.object({ ctid: z.number().int(), limits: z.object({ ram: z.number().min(1) }) });

  it('returns the parsed value', () => {
    expect(parseOrBadParams(schema, { ctid: 1, limits: { ram: 2 } })).toEqual({ ctid: 1, limits: { ram: 2 } });
  });

  it('answers BAD_PARAMS naming the first bad field, under the request path it was given', () => {
    let err: unknown;
    try {
      parseOrBadParams(schema, { ctid: 1, limits: { ram: 0 } }, { what: 'invalid params for ve.x', at: 'config' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'BAD_PARAMS', data: { field: 'config.limits.ram' } });
    expect((err as Error).message).toMatch(/^invalid params for ve\.x: config\.limits\.ram: /);
  });
});
