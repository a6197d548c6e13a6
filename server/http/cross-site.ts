import type { IncomingMessage } from 'node:http';

/** A cookie-authenticated POST from another site's page (its Origin names that site): refused as CSRF. */
export function crossSitePost(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || !req.headers.origin || !req.headers.cookie) return false;
  try {
    return new URL(req.headers.origin).host !== req.headers.host;
  } catch {
    return true;
  }
}
