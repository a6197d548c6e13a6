// Validators for every value that can reach a config file or a VE's /etc: no newlines, NUL or shell metacharacters.
import { z } from 'zod';
import { parseCidr } from './net-addr';

/** RFC 1123 host name (labels of [a-z0-9-], no leading/trailing hyphen, 253 chars max). */
export const HOSTNAME_RE = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Free text allowed in a KEY="value" line: printable, no quotes, backslashes, `$` or backticks. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const SAFE_TEXT_RE = /^[^\x00-\x1f\x7f"\\$`]*$/;

export const hostnameSchema = z.string().regex(HOSTNAME_RE, 'hostname must be an RFC 1123 name (letters, digits, hyphens, dots)').describe('VE host name (RFC 1123)');

export const ctidSchema = z.number().int().min(100).max(2_147_483_647).describe('container id, unique across the cluster (OpenVZ CTID)');

export const ipCidrSchema = z.string().refine((s) => parseCidr(s, 24) !== null, 'address must be IPv4 or IPv6, optionally /prefix')
  .transform((s) => {
    const c = parseCidr(s, s.includes(':') ? 64 : 24)!;
    return `${c.addr}/${c.prefix}`;
  }).describe('VE address with prefix, e.g. 10.199.3.5/24');

export const ipSchema = z.string().refine((s) => { const c = parseCidr(s); return c !== null && !s.includes('/'); }, 'must be an IP address')
  .describe('single IP address');

export const macSchema = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'MAC as aa:bb:cc:dd:ee:ff').refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0, 'MAC must be unicast');

export const safeTextSchema = z.string().max(1024).regex(SAFE_TEXT_RE, 'no control characters, quotes, backslashes, $ or backticks');

/** Throws if a rendered config value could break out of its line or quotes (defense in depth). */
export function assertConfigValue(key: string, v: string): string {
  if (!SAFE_TEXT_RE.test(v)) throw new Error(`unsafe value for ${key}`);
  return v;
}
