import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines';

describe('LineSplitter', () => {
  it('returns whole lines across chunk borders, skips blank ones, and refuses a line over the limit', () => {
    const s = new LineSplitter(10);
    expect(s.push('{"a":1}\n{"b"')).toEqual(['{"a":1}']);
    expect(s.push(':2}')).toEqual([]);
    expect(s.push('\n\n  \n{"c":3}\r\n')).toEqual(['{"b":2}', '{"c":3}']);
    expect(() => s.push('x'.repeat(11))).toThrow(/line longer than 10 bytes/);
    expect(s.push('ok\n')).toEqual(['ok']);
  });

  it('takes a multi-megabyte line in small reads', () => {
    const s = new LineSplitter(16 * 1024 * 1024);
    const piece = 'y'.repeat(64 * 1024);
    for (let i = 0; i < 128; i++) expect(s.push(piece)).toEqual([]);
    const [line] = s.push('\n');
    expect(line.length).toBe(128 * 64 * 1024);
  });
});
