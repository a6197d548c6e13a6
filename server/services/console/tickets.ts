// Console tickets: a short-lived, single-use token that opens the web console of one VE.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { newToken, sha256Hex } from '@/server/services/auth/tokens';

/** A console URL must be opened within this time, and only once. */
export const CONSOLE_TICKET_TTL_MS = 60_000;

/**
 * Whether a VE's console may open. A running VE, yes. A billing suspension in network mode keeps the
 * VE running with its addresses removed; its console stays open, deliberately: that suspension is
 * for abuse (spam, attacks), the console carries no network traffic, and it is the only way the
 * owner can clean the VE up before unsuspend. A stop-mode suspension has no running VE to attach to.
 */
export function consoleOpens(ve: { state: string; suspendMode?: string | null; prevPowerState?: string | null }): boolean {
  if (ve.state === 'running') return true;
  return ve.state === 'suspended' && ve.suspendMode === 'network' && ve.prevPowerState !== 'stopped';
}

/**
 * Issues a ticket for VE `veId` (the caller has checked it may open that console). Only the
 * sha256 is stored; the URL with the ticket is returned once.
 */
export async function issueConsoleTicket(prisma: PrismaClient, veId: string, by: { userId?: string | null; apiKeyId?: string | null }) {
  const ve = await prisma.ve.findUnique({ where: { id: veId }, select: { id: true, state: true, ctid: true, suspendMode: true, prevPowerState: true } });
  if (!ve) throw new AppError('NOT_FOUND', 'VE not found');
  if (!consoleOpens(ve)) throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is ${ve.state}; the console needs it running`);
  const ticket = newToken();
  const expiresAt = new Date(Date.now() + CONSOLE_TICKET_TTL_MS);
  await prisma.consoleTicket.create({ data: { tokenHash: sha256Hex(ticket), veId: ve.id, userId: by.userId ?? null, apiKeyId: by.apiKeyId ?? null, expiresAt } });
  return { url: `/console/${ve.id}?ticket=${ticket}`, ticket, expiresAt };
}

export interface ConsoleGrant {
  veId: string;
  ctid: number;
  nodeId: string;
  userId: string | null;
  apiKeyId: string | null;
}

/**
 * Verifies and burns a console ticket in one UPDATE (unused, unexpired -> used), so a ticket opens
 * at most one session even under concurrent use. Returns what it grants, or null. The console
 * server must also check that `veId` is the VE of the URL it was presented on.
 */
export async function consumeConsoleTicket(prisma: PrismaClient, ticket: string): Promise<ConsoleGrant | null> {
  if (!ticket || ticket.length > 200) return null;
  const rows = await prisma.$queryRaw<ConsoleGrant[]>`
    UPDATE "ConsoleTicket" t SET "usedAt" = now() FROM "Ve" v
     WHERE t."tokenHash" = ${sha256Hex(ticket)} AND t."usedAt" IS NULL AND t."expiresAt" > now() AND v.id = t."veId"
    RETURNING t."veId" AS "veId", v.veid AS ctid, v."nodeId" AS "nodeId", t."userId" AS "userId", t."apiKeyId" AS "apiKeyId"`;
  return rows[0] ?? null;
}
