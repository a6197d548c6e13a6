import { describe, expect, it } from 'vitest';
import { parseConfFile, renderConfFile } from '../config/conf-file';
import { veConfigSchema } from '../config/schema';
import { burstBytes, effectiveRate, redirectArgs, sameRate, tbfArgs } from './shaping';

describe('rate caps', () => {
  it('runs a VE at the lower of plan cap and throttle, where 0 means none', () => {
    expect(effectiveRate(0, 0)).toBe(0);
    expect(effectiveRate(100e6, 0)).toBe(100e6);
    expect(effectiveRate(0, 1e6)).toBe(1e6);
    expect(effectiveRate(100e6, 1e6)).toBe(1e6);
    expect(effectiveRate(1e6, 100e6)).toBe(1e6);
  });

  it('builds tc argv with the rate in bits and a 20 ms bucket of at least 32 KiB', () => {
    expect(burstBytes(1e6)).toBe(32 * 1024);
    expect(burstBytes(1e9)).toBe(2_500_000);
    expect(tbfArgs('veth24001', 8e6)).toEqual(['qdisc', 'replace', 'dev', 'veth24001', 'root', 'handle', '1:', 'tbf', 'rate', '8000000bit', 'burst', '32768', 'latency', '50ms']);
    expect(redirectArgs('veth24001', 'ifb24001')).toContain('ifb24001');
    expect(sameRate(64_000, 64_001)).toBe(true);
    expect(sameRate(64_000, 72_000)).toBe(false);
  });

  it('keeps BANDWIDTH and TRAFFIC_THROTTLE in the conf only when set, and reads them back', () => {
    const base = veConfigSchema.parse({ ctid: 24001, ostemplate: 'busybox', idmap: { uid: 100000, gid: 100000 } });
    const paths = { root: '/vz/root/24001', private: '/vz/private/24001' };
    expect(renderConfFile(base, paths)).not.toMatch(/BANDWIDTH|TRAFFIC_THROTTLE/);
    const text = renderConfFile({ ...base, bandwidth: 100e6, throttle: 2e6 }, paths);
    expect(text).toContain('BANDWIDTH="100000000"');
    expect(text).toContain('TRAFFIC_THROTTLE="2000000"');
    expect(parseConfFile(text)).toMatchObject({ bandwidth: 100e6, throttle: 2e6 });
  });

  it('refuses rates below 64 kbit/s or above 100 Gbit/s', () => {
    const c = { ctid: 24001, ostemplate: 'busybox', idmap: { uid: 100000, gid: 100000 } };
    expect(veConfigSchema.safeParse({ ...c, bandwidth: 1000 }).success).toBe(false);
    expect(veConfigSchema.safeParse({ ...c, throttle: 2e11 }).success).toBe(false);
    expect(veConfigSchema.safeParse({ ...c, bandwidth: 64_000, throttle: 0 }).success).toBe(true);
  });
});
