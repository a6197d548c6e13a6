import { describe, expect, it } from 'vitest';
import { canonicalIp, cidrContains, formatCidr, parseCidr, parseIp } from './ip';

describe('IP text', () => {
  it('canonicalises IPv4 and RFC 5952 IPv6', () => {
    expect(canonicalIp('10.199.1.7')).toBe('10.199.1.7');
    expect(canonicalIp('FD00:0199:0000:0000:0000:0000:0000:000A')).toBe('fd00:199::a');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('::')).toBe('::');
    expect(canonicalIp('::1')).toBe('::1');
    expect(canonicalIp('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2:3:4:5:6');
    expect(canonicalIp('2001:db8::0:1')).toBe('2001:db8::1');
    expect(canonicalIp('::ffff:10.0.0.1')).toBe('::ffff:a00:1');
  });
  it('rejects what is not an address', () => {
    for (const s of ['10.0.0.256', '10.0.0', '010.0.0.1', '1::2::3', 'fd00::g', '10.0.0.1; rm -rf /', '-1.0.0.0', '1:2:3:4:5:6:7:8:9', '']) {
      expect(parseIp(s), s).toBeNull();
    }
  });
  it('parses networks and refuses host bits', () => {
    const n = parseCidr('10.199.5.0/28')!;
    expect(n.size).toBe(16n);
    expect(formatCidr(n)).toBe('10.199.5.0/28');
    expect(cidrContains(n, parseIp('10.199.5.15')!)).toBe(true);
    expect(cidrContains(n, parseIp('10.199.5.16')!)).toBe(false);
    expect(parseCidr('10.199.5.3/28')).toBeNull();
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(formatCidr(parseCidr('FD00:199::/64')!)).toBe('fd00:199::/64');
  });
});
