// Which templates a node was recently seen to hold, so a create does not ask the node
// (`template.list`) and the database (its version rows) before every create: a batch of creates
// on one node asks once per TTL. A node that lost the template answers TEMPLATE_NOT_FOUND; the
// create then forgets it, ensures the template as before and tries once more.
import { isAppError } from '@/server/errors';

const TTL_MS = 30_000;
const seen = new Map<string, number>(); // `${nodeId}\0${name}` -> when it was confirmed

const key = (nodeId: string, name: string) => `${nodeId}\0${name}`;

export function heldRecently(nodeId: string, name: string, now = Date.now()): boolean {
  const at = seen.get(key(nodeId, name));
  return at !== undefined && now - at < TTL_MS;
}

export function rememberHeld(nodeId: string, name: string, now = Date.now()): void {
  seen.set(key(nodeId, name), now);
}

export function forgetHeld(nodeId: string, name: string): void {
  seen.delete(key(nodeId, name));
}

/** The agent said the template is not in its cache (vzctl 91). */
export const isTemplateMissing = (e: unknown): boolean => isAppError(e) && e.data?.agentCode === 'TEMPLATE_NOT_FOUND';
