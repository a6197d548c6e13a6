import { describe, expect, it } from 'vitest';
import type { PrismaClient } from '@/server/db/client';
import { sharedRead } from './shared-read';

const db = {} as PrismaClient;

describe('sharedRead', () => {
  it('answers every caller of one turn with one read', async () => {
    let reads = 0;
    const read = async () => ++reads;
    const got = await Promise.all(Array.from({ length: 50 }, () => sharedRead(db, 'k', read)));
    expect(reads).toBe(1);
    expect(new Set(got)).toEqual(new Set([1]));
  });

  it('never hands a caller a read that started before it arrived', async () => {
    let value = 'old';
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = sharedRead(db, 'w', async () => { const v = value; await gate; return v; });
    await new Promise((r) => setImmediate(r)); // the first read is running now
    value = 'new'; // a write commits, then a caller arrives
    const second = sharedRead(db, 'w', async () => value);
    release();
    expect(await first).toBe('old');
    expect(await second).toBe('new');
  });

  it('keeps keys apart and passes a failure to the callers of that read only', async () => {
    const bad = sharedRead(db, 'a', async () => { throw new Error('boom'); });
    const good = sharedRead(db, 'b', async () => 'ok');
    await expect(bad).rejects.toThrow('boom');
    expect(await good).toBe('ok');
    expect(await sharedRead(db, 'a', async () => 'again')).toBe('again');
  });
});
