// Address sanity for a VE: inside the node's VE network, gateway on-link, no duplicates.
import { VeError } from '../sys/errors';
import { inNetwork, parseCidr, type Cidr } from './net-addr';
import type { VeConfig } from './schema';

/** Throws BAD_PARAMS when an address is outside `networks` (if given) or the gateway is not on-link. */
export function checkVeAddresses(c: Pick<VeConfig, 'ips' | 'gateway' | 'gateway6'>, networks: string[] = []): void {
  const nets = networks.map((n) => parseCidr(n)).filter((n): n is Cidr => n !== null);
  const seen = new Set<string>();
  const parsed = c.ips.map((s) => parseCidr(s)!);
  for (const a of parsed) {
    if (seen.has(a.addr)) throw new VeError('BAD_PARAMS', `address ${a.addr} given twice`);
    seen.add(a.addr);
    const fam = nets.filter((n) => n.family === a.family);
    if (fam.length && !fam.some((n) => inNetwork(a.addr, n))) {
      throw new VeError('BAD_PARAMS', `address ${a.addr} is outside the VE network ${fam.map((n) => `${n.addr}/${n.prefix}`).join(', ')}`, { field: 'ips' });
    }
  }
  for (const [gw, fam] of [[c.gateway, 4], [c.gateway6, 6]] as const) {
    if (!gw) continue;
    if (!parsed.some((a) => a.family === fam && inNetwork(gw, a))) {
      throw new VeError('BAD_PARAMS', `gateway ${gw} is not inside any of the VE's IPv${fam} networks`, { field: fam === 4 ? 'gateway' : 'gateway6' });
    }
  }
}
