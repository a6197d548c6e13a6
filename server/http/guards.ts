import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrismaClient } from '@/server/db/client';
import { validateSession } from '@/server/services/auth/sessions';
import { sessionTokenFrom } from '@/server/api/cookies';

/**
 * Page guards for the custom server. Next's middleware would not see everything the custom
 * server handles (upgrades, and requests we answer before Next), so the role check for whole
 * page trees lives here, in front of Next: /admin* needs an admin session, /portal* any session.
 * The pages' layouts check again, and every procedure authorizes on its own.
 * Returns true when it answered (redirect), false to let the request through.
 */
export async function guardPages(prisma: PrismaClient, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
  const area = pathname === '/admin' || pathname.startsWith('/admin/') ? 'admin' : pathname === '/portal' || pathname.startsWith('/portal/') ? 'portal' : null;
  if (!area) return false;
  const valid = await validateSession(prisma, sessionTokenFrom(req));
  if (!valid) {
    redirect(res, `/login?next=${encodeURIComponent(req.url ?? pathname)}`);
    return true;
  }
  if (area === 'admin' && valid.user.role !== 'admin') {
    redirect(res, '/portal');
    return true;
  }
  return false;
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.end();
}
