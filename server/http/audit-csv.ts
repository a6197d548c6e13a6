// GET /api/audit.csv?<filters>: the audit log as a streamed CSV download, for staff sessions only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrismaClient } from '@/server/db/client';
import { validateSession } from '@/server/services/auth/sessions';
import { sessionTokenFrom } from '@/server/api/cookies';
import { auditCsv } from '@/server/services/audit/csv';
import { isAppError } from '@/server/errors';

export const AUDIT_CSV_PATH = '/api/audit.csv';

function refuse(res: ServerResponse, status: number, message: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: { message } }));
}

/** Streams the export; a write that cannot keep up waits for 'drain' instead of buffering the log in memory. */
export async function serveAuditCsv(prisma: PrismaClient, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.method !== 'GET') return refuse(res, 405, 'Use GET');
  const valid = await validateSession(prisma, sessionTokenFrom(req));
  if (!valid) return refuse(res, 401, 'Sign in first');
  if (valid.user.role !== 'admin') return refuse(res, 403, 'Administrators only');
  const filters = Object.fromEntries([...url.searchParams.entries()].filter(([, v]) => v !== ''));
  const chunks = auditCsv(prisma, filters);
  let first: IteratorResult<string>;
  try {
    first = await chunks.next();
  } catch (e) {
    if (isAppError(e)) return refuse(res, 400, e.message);
    throw e;
  }
  const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="vzpanel-audit-${stamp}.csv"`);
  res.setHeader('Cache-Control', 'no-store');
  for (let c = first; !c.done; c = await chunks.next()) {
    if (res.destroyed) return void (await chunks.return(undefined));
    if (!res.write(c.value)) await new Promise((r) => { res.once('drain', r); res.once('close', r); });
  }
  res.end();
}
