import { describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { AppError } from '@/server/errors';
import { describeError, toTRPCError } from './errors';

describe('error mapping', () => {
  it('maps every AppError code to the tRPC code of its HTTP status', () => {
    expect(toTRPCError(new AppError('BAD_INPUT', 'x')).code).toBe('BAD_REQUEST');
    expect(toTRPCError(new AppError('NODE_OFFLINE', 'x')).code).toBe('SERVICE_UNAVAILABLE');
    expect(toTRPCError(new AppError('BUSY', 'x')).code).toBe('CONFLICT');
    expect(toTRPCError(new AppError('RATE_LIMITED', 'x')).code).toBe('TOO_MANY_REQUESTS');
  });

  it('keeps the app code, message and field of an AppError', () => {
    const e = toTRPCError(new AppError('BAD_INPUT', 'Password too short', { field: 'password' }));
    expect(describeError(e)).toEqual({ appCode: 'BAD_INPUT', field: 'password', message: 'Password too short' });
  });

  it('names the first wrong field of a zod error', () => {
    const r = z.object({ limits: z.object({ ram: z.number() }) }).safeParse({ limits: { ram: 'x' } });
    const d = describeError(new TRPCError({ code: 'BAD_REQUEST', cause: r.error }));
    expect(d).toMatchObject({ appCode: 'BAD_INPUT', field: 'limits.ram' });
  });

  it('never leaks the text of an unexpected error', () => {
    const e = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'relation "User" does not exist at /work/main/x.ts', cause: new Error('SQL') });
    expect(describeError(e)).toEqual({ appCode: 'INTERNAL', message: 'Internal server error' });
  });
});
