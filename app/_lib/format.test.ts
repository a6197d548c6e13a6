import { describe, expect, it } from 'vitest';
import { formatBytes, formatLoad, formatAgo, percent } from './format';

describe('formatBytes', () => {
  it('shows one decimal GiB from 1 GiB up, so the dashboard matches MemTotal rounding', () => {
    expect(formatBytes(24_683_880 * 1024)).toBe('23.5 GiB');
    expect(formatBytes(2 ** 30)).toBe('1.0 GiB');
  });
  it('shows whole MiB/KiB/B below that, and a dash for unknown', () => {
    expect(formatBytes(512 * 2 ** 20)).toBe('512 MiB');
    expect(formatBytes(1536)).toBe('2 KiB');
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(5 * 2 ** 40)).toBe('5.00 TiB');
  });
});

describe('other figures', () => {
  it('formats load with two decimals and percentages safely', () => {
    expect(formatLoad([0.5, 1, 2.345])).toBe('0.50 / 1.00 / 2.35');
    expect(formatLoad([])).toBe('—');
    expect(percent(1, 4)).toBe(25);
    expect(percent(1, 0)).toBe(0);
  });
  it('says how long ago a node reported', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(formatAgo(new Date(now - 5_000), now)).toBe('just now');
    expect(formatAgo(new Date(now - 5 * 60_000).toISOString(), now)).toBe('5 min ago');
    expect(formatAgo(null, now)).toBe('never');
  });
});
