// Checks the portal runs before a customer may act on a VE: the VE's node must be usable.
import type { NodeState, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';

export interface VeWithNode {
  ctid: number;
  node: { name: string; state: NodeState; maintenance: boolean; hostKeyMismatch?: boolean };
}

/**
 * Refuses a customer action (power, reinstall, password, console …) on a VE whose node is in
 * maintenance (UNPROCESSABLE) or offline (NODE_OFFLINE), with a message the portal can show.
 * Admin actions do not go through this: admins may still work on a node in maintenance.
 */
export function assertCustomerActionAllowed(ve: VeWithNode): void {
  if (ve.node.maintenance) {
    throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is on a node in maintenance; actions are paused until the maintenance ends`, { reason: 'NODE_MAINTENANCE' });
  }
  if (ve.node.state === 'offline' || ve.node.hostKeyMismatch) {
    throw new AppError('NODE_OFFLINE', `VE ${ve.ctid}: node ${ve.node.name} is offline`, { reason: 'NODE_OFFLINE' });
  }
}

/** assertCustomerActionAllowed for a VE id (loads its node). NOT_FOUND when the VE does not exist. */
export async function assertCustomerActionAllowedById(prisma: PrismaClient, veId: string): Promise<void> {
  const ve = await prisma.ve.findUnique({
    where: { id: veId },
    select: { ctid: true, node: { select: { name: true, state: true, maintenance: true, hostKeyMismatch: true } } },
  });
  if (!ve) throw new AppError('NOT_FOUND', 'VE not found');
  assertCustomerActionAllowed(ve);
}
