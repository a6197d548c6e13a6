import { describe, expect, it } from 'vitest';
import { describeThrown, StartupError, startupFailureText } from './startup-error';

const step = { what: 'opening the database', hint: 'read the Postgres messages above' };

describe('start-up failure text', () => {
  it('never says "undefined" for a library that rejects without a reason', () => {
    const text = startupFailureText(step, undefined);
    expect(text).not.toMatch(/: undefined$/m);
    expect(text).toContain('while opening the database: no reason given');
    expect(text).toContain('What to do: read the Postgres messages above');
  });

  it('names an Error without a message, a plain object and an empty string', () => {
    expect(describeThrown(new TypeError(''))).toBe('TypeError without a message');
    expect(describeThrown({ code: 'XX000', detail: 'boom' })).toBe('{"code":"XX000","detail":"boom"}');
    expect(describeThrown('')).toBe('an empty error message');
    expect(describeThrown(Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' }))).toBe('connect failed [ECONNREFUSED]');
  });

  it('prefers the advice a StartupError carries, and names a busy port', () => {
    expect(startupFailureText(step, new StartupError('held by pid 7', 'stop pid 7 first'))).toContain('What to do: stop pid 7 first');
    const busy = Object.assign(new Error('listen EADDRINUSE: address already in use 0.0.0.0:3000'), { code: 'EADDRINUSE' });
    expect(startupFailureText({ what: 'listening', hint: 'x' }, busy)).toContain('start the panel with another PORT');
  });
});
