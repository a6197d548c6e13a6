// The port filter's nft text: one fixed table, and a port's policy as set elements whose number does not
// depend on how many ports the table holds (issue 15: a start at 1,300 VEs paid ~1 s for a chain per port).
import { describe, expect, it } from 'vitest';
import { linkLocalOf, nftTable, portElements, tableScript } from './antispoof';

describe('port filter', () => {
  it('makes a port policy of its MAC, addresses and neighbour-discovery targets', () => {
    const els = portElements({ veth: 'veth101', mac: '02:00:00:00:01:01', ips: ['10.199.1.5/24', '10.199.1.6/32', '10.199.1.5/24', 'fd00::5/64'] });
    expect(els).toEqual([
      ['guarded', '"veth101"'],
      ['pmac', '"veth101" . 02:00:00:00:01:01'],
      ['pv4', '"veth101" . 10.199.1.5'],
      ['pv4', '"veth101" . 10.199.1.6'],
      ['pv6', '"veth101" . fd00::5'],
      ['pnd', '"veth101" . 0xfe80000000000000000000fffe000101'],
      ['pnd', '"veth101" . 0xfd000000000000000000000000000005'],
    ]);
    expect(linkLocalOf('02:00:00:00:01:01')).toBe('fe80::0:ff:fe00:101');
  });

  it('gives a port without IPv4 no pv4 element, so all its ARP and IPv4 is dropped', () => {
    expect(portElements({ veth: 'veth7', mac: '02:00:00:00:00:07', ips: [] }).map(([s]) => s)).toEqual(['guarded', 'pmac', 'pnd']);
  });

  it('refuses what would let text into the nft script', () => {
    expect(() => portElements({ veth: 'veth1"; flush ruleset; "', mac: '02:00:00:00:00:01', ips: [] })).toThrow(/bad veth or MAC/);
    expect(() => portElements({ veth: 'veth1', mac: '02:00:00:00:00:01 }', ips: [] })).toThrow(/bad veth or MAC/);
    expect(() => portElements({ veth: 'veth1', mac: '02:00:00:00:00:01', ips: ['10.0.0.1; drop'] })).toThrow(/bad address/);
    expect(() => tableScript('br; flush ruleset')).toThrow(/bad bridge/);
  });

  it('writes the table as commands that make it or update its rules in place, keeping the sets', () => {
    const s = tableScript('vz-br0');
    const t = nftTable('vz-br0');
    expect(t).toBe('vzsp_vz_br0');
    expect(s).not.toMatch(/delete|flush set|jump|vmap/);
    expect(s.indexOf(`flush chain bridge ${t} pre`)).toBeLessThan(s.indexOf(`add rule bridge ${t} pre`));
    for (const set of ['guarded', 'pmac', 'pv4', 'pv6', 'pnd']) expect(s).toContain(`add set bridge ${t} ${set} `);
    expect(s).toContain('iifname != @guarded accept');
    expect(s).toContain('ether type { 8021q, 8021ad, 0x9100 } drop');
    expect(s).toContain('nd-router-advert');
  });
});
