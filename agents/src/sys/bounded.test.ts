import { describe, expect, it } from 'vitest';
import { addBounded } from './bounded';

describe('addBounded', () => {
  it('keeps at most max entries, forgetting the oldest, however many keys pass through', () => {
    const s = new Set<string>();
    for (let i = 0; i < 10_000; i++) addBounded(s, `vzbr0/veth${i}`, 100);
    expect(s.size).toBe(100);
    expect(s.has('vzbr0/veth9999')).toBe(true);
    expect(s.has('vzbr0/veth9899')).toBe(false);
    expect(s.has('vzbr0/veth9900')).toBe(true);
  });

  it('a key added again becomes the newest, so it outlives older ones', () => {
    const s = new Set<number>();
    [1, 2, 3].forEach((k) => addBounded(s, k, 3));
    addBounded(s, 1, 3);
    addBounded(s, 4, 3);
    expect([...s]).toEqual([3, 1, 4]);
  });
});
