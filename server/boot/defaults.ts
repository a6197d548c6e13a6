import type { PrismaClient } from '@/server/db/client';
import { createPlan } from '@/server/services/plans';
import { createPool } from '@/server/services/ippools';
import { logger } from '@/server/logger';

/**
 * A fresh all-in-one install can create a VE at once: a starter plan, and an address pool on the
 * local node's bridge (no uplink, no NAT) when the bridge has a host address. Only when the panel
 * has no plan / no pool at all, so an admin's own setup is never touched.
 */
export async function seedDefaults(prisma: PrismaClient, opts: { localNodeId?: string; bridgeAddr?: string }): Promise<void> {
  if ((await prisma.plan.count()) === 0) {
    await createPlan(prisma, { name: 'starter', ram: 512, swap: 256, diskspace: 2048, cpulimit: 100, numproc: 256 });
    logger.info('created the starter plan');
  }
  const [addr, prefix] = (opts.bridgeAddr ?? '').split('/');
  if (!opts.localNodeId || !addr || prefix !== '24' || (await prisma.ipPool.count()) > 0) return;
  const cidr = `${addr.split('.').slice(0, 3).join('.')}.0/24`;
  await createPool(prisma, { name: 'local', cidr, gateway: addr, nodeIds: [opts.localNodeId] });
  logger.info({ cidr }, 'created the local address pool');
}
