// Deleting a customer account, shared by the admin UI (by id) and the billing API (by external id).
import { Prisma, type PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';

const NAMED_VES = 20;

/**
 * Deletes the customer matching `where`: their sessions and login links go with them (cascade);
 * tasks and audit rows keep their history without the user. Refused (CONFLICT, naming the VEs)
 * while they own any VE: terminate those first. The user row is locked for the check, and the
 * VE→owner foreign key refuses a VE created meanwhile, so nothing is orphaned either way.
 * `label` names the customer in messages.
 */
export async function deleteCustomerWhere(prisma: PrismaClient, where: Prisma.UserWhereUniqueInput, label: string) {
  try {
    return await prisma.$transaction(async (tx) => {
      const u = await tx.user.findUnique({ where, select: { id: true, role: true, externalId: true } });
      if (!u || u.role !== 'customer') throw new AppError('NOT_FOUND', 'Customer not found');
      await tx.$queryRaw`SELECT 1 FROM "User" WHERE id = ${u.id} FOR UPDATE`;
      const ves = await tx.ve.findMany({ where: { ownerId: u.id }, select: { id: true, ctid: true, hostname: true, externalId: true }, orderBy: { ctid: 'asc' } });
      if (ves.length) {
        const named = ves.slice(0, NAMED_VES).map((v) => `${v.ctid} (${v.hostname}${v.externalId ? `, service ${v.externalId}` : ''})`).join(', ');
        const more = ves.length > NAMED_VES ? ` and ${ves.length - NAMED_VES} more` : '';
        throw new AppError('CONFLICT', `Customer ${label} still owns ${ves.length} VE(s): ${named}${more}; terminate them first`);
      }
      await tx.user.delete({ where: { id: u.id } });
      return { id: u.id, externalId: u.externalId, deleted: true as const };
    });
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && (e.code === 'P2003' || e.code === 'P2014')) {
      throw new AppError('CONFLICT', `Customer ${label} got a VE while being deleted; terminate it first`);
    }
    throw e;
  }
}
