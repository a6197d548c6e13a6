// The two sides of a VE the reconciler compares field by field: the row (and its addresses) and ve.list's VeInfo.
import type { ResultOf } from '@/agents/protocol';
import type { Prisma } from '@/server/db/client';
import { canonicalIp } from '@/server/services/ippools/ip';
import { readOverrides } from '@/server/services/plans/limits';
import type { VeSnapshot } from '@/server/services/ves/drift';
import { panelLimits } from './limits';

type NodeVe = ResultOf<'ve.list'>['ves'][number];

/** What the reconciler reads of each Ve row. */
export const DRIFT_SELECT = {
  limits: true, onboot: true, nameservers: true, drift: true,
  template: { select: { name: true } },
  ipAddresses: { select: { address: true, pool: { select: { nameservers: true } } } },
} as const satisfies Prisma.VeSelect;

type PanelVe = Prisma.VeGetPayload<{ select: typeof DRIFT_SELECT & { hostname: true } }>;

const bare = (ip: string) => { const a = ip.split('/')[0]; return canonicalIp(a) ?? a; };

/** The panel's side; DNS servers are the VE's own or, when it has none, its pools' (as create sends them). */
export function panelSnapshot(ve: PanelVe): VeSnapshot {
  const pools = [...new Set(ve.ipAddresses.flatMap((a) => a.pool.nameservers))].slice(0, 3);
  return {
    hostname: ve.hostname,
    ips: ve.ipAddresses.map((a) => bare(a.address)),
    nameservers: ve.nameservers.length ? ve.nameservers : pools,
    onboot: ve.onboot,
    template: ve.template.name,
    limits: readOverrides(ve.limits),
  };
}

export function nodeSnapshot(n: NodeVe): VeSnapshot {
  return { hostname: n.hostname, ips: n.ips.map(bare), nameservers: n.nameservers, onboot: n.onboot, template: n.ostemplate, limits: panelLimits(n) };
}
