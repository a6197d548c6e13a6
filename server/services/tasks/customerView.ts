// What a customer sees of a task on their own VE: people other than themselves read "support" (or
// "billing"), and a failure reads as a plain message by its code, never the internal error text.
// Admins see everything as stored. The audit view does the same for a VE's history.

export interface Viewer {
  id: string;
  role: 'admin' | 'customer';
}

// Codes whose message is written for the person who asked (validation), shown as is.
const USER_FACING = new Set(['BAD_INPUT', 'UNPROCESSABLE', 'VE_NOT_RUNNING']);

const PLAIN: Record<string, string> = {
  BUSY: 'Another operation on this VE was in progress. Try again in a moment.',
  CONFLICT: 'Another operation on this VE was in progress. Try again in a moment.',
  NODE_OFFLINE: 'The server your VE runs on could not be reached. Try again later.',
  CAPACITY: 'There was not enough capacity to complete this. Contact support.',
  INTERRUPTED: 'The operation was interrupted. Try again, and contact support if it happens again.',
};
const FALLBACK = 'The operation failed on our side. Contact support if it happens again.';

/** The failure text a customer sees for a task that failed with `code` and the stored `error`. */
export function customerTaskError(code: string | null, error: string | null): string | null {
  if (error === null && code === null) return null;
  if (code && USER_FACING.has(code) && error) return error;
  return (code && PLAIN[code]) ?? FALLBACK;
}

interface TaskView {
  status: string;
  message: string | null;
  userId: string | null;
  userEmail: string | null;
  viaApiKey: boolean;
  error: string | null;
  errorCode: string | null;
}

/** `t` as `viewer` may see it (unchanged for admins). */
export function taskForViewer<T extends TaskView>(t: T, viewer?: Viewer): T {
  if (!viewer || viewer.role === 'admin') return t;
  const own = t.userId === viewer.id;
  return {
    ...t,
    userId: own ? t.userId : null,
    userEmail: own ? t.userEmail : t.viaApiKey ? 'billing' : t.userId ? 'support' : null,
    viaApiKey: false,
    error: customerTaskError(t.errorCode, t.error),
    // A retry or a failure leaves the raw error in the progress message too.
    message: t.status === 'queued' || t.status === 'failed' ? null : t.message,
  };
}

/** Log lines a viewer may see: customers get the progress (info) lines, not warnings and errors. */
export function logsForViewer<T extends { level: string }>(logs: T[], viewer?: Viewer): T[] {
  return !viewer || viewer.role === 'admin' ? logs : logs.filter((l) => l.level === 'info');
}
