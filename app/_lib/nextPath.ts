/**
 * The `next` target of the login page as a same-origin path, or null. The value is parsed as a URL
 * against `origin` (so tabs, newlines and backslashes are handled exactly as the browser will) and
 * only a result on the same origin whose path cannot read as protocol-relative is returned, in its
 * re-serialised form: what the caller navigates to is what was checked.
 */
export function safeNextPath(next: string | null | undefined, origin: string): string | null {
  if (!next) return null;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return null;
  }
  if (url.origin !== new URL(origin).origin) return null;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith('/') && !path.startsWith('//') ? path : null;
}
