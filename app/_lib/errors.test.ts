import { describe, expect, it } from 'vitest';
import { toUiError } from './errors';

describe('toUiError', () => {
  it('prefers the AppError code the server put in the error data', () => {
    const e = { message: 'VE 101 is busy', data: { code: 'CONFLICT', appCode: 'BUSY' } };
    expect(toUiError(e)).toEqual({ code: 'BUSY', message: 'VE 101 is busy', field: undefined });
  });
  it('falls back to the tRPC code and reports the bad field', () => {
    const e = { message: 'hostname is invalid', data: { code: 'BAD_REQUEST', field: 'hostname' } };
    expect(toUiError(e)).toMatchObject({ code: 'BAD_INPUT', field: 'hostname' });
    expect(toUiError({ message: 'x', data: { code: 'UNAUTHORIZED' } }).code).toBe('UNAUTHENTICATED');
  });
  it('treats an answerless failure as a network problem', () => {
    expect(toUiError(new TypeError('Failed to fetch')).code).toBe('NETWORK');
  });
});
