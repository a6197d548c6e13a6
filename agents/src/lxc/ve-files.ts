// Distribution-neutral edits of a VE's identity files: hostname, hosts, resolv.conf, root password.
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import type { VeFiles } from './rootfs-files';

/** Pure: /etc/hosts with a `127.0.1.1 <hostname>` line (replaced or added). */
export function hostsWithName(hosts: string, hostname: string): string {
  const short = hostname.split('.')[0];
  const line = short !== hostname ? `127.0.1.1\t${hostname} ${short}` : `127.0.1.1\t${hostname}`;
  const lines = hosts.split('\n').filter((l, i, a) => !(l === '' && i === a.length - 1));
  const idx = lines.findIndex((l) => /^127\.0\.1\.1\s/.test(l));
  if (idx >= 0) lines[idx] = line;
  else lines.push(line);
  return lines.join('\n') + '\n';
}

export function resolvConf(nameservers: string[], search?: string): string {
  return `${search ? `search ${search}\n` : ''}${nameservers.map((n) => `nameserver ${n}\n`).join('')}`;
}

/** Pure: shadow text with `user`'s password hash replaced (user must exist). */
export function shadowWithHash(shadow: string, user: string, hash: string): string {
  let found = false;
  const days = Math.floor(Date.now() / 86_400_000);
  const out = shadow.split('\n').map((l) => {
    const f = l.split(':');
    if (f[0] !== user || f.length < 3) return l;
    found = true;
    f[1] = hash;
    f[2] = String(days);
    return f.join(':');
  });
  if (!found) throw new VeError('NOT_FOUND', `user ${user} does not exist in the VE`);
  return out.join('\n');
}

export const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * SHA-512 crypt hash of a password, computed on the host with the password on stdin (never
 * in argv or logs). Refuses passwords openssl would silently cut at a newline.
 */
export async function hashPassword(password: string): Promise<string> {
  if (!password || /[\n\r\0]/.test(password) || password.length > 256) throw new VeError('BAD_PARAMS', 'password must be 1-256 characters without newlines');
  const r = await run('openssl', ['passwd', '-6', '-stdin'], { input: password + '\n', timeoutMs: 15_000 });
  const hash = r.stdout.trim();
  if (!/^\$6\$[./A-Za-z0-9]+\$[./A-Za-z0-9]+$/.test(hash)) throw new VeError('INTERNAL', 'openssl produced an unexpected hash');
  return hash;
}

export async function writeHostname(files: VeFiles, hostname: string): Promise<void> {
  await files.write('etc/hostname', hostname + '\n', 0o644);
  await files.write('etc/hosts', hostsWithName((await files.read('etc/hosts')) ?? '127.0.0.1\tlocalhost\n', hostname), 0o644);
}

export async function writeResolvConf(files: VeFiles, nameservers: string[], search?: string): Promise<void> {
  await files.write('etc/resolv.conf', resolvConf(nameservers, search), 0o644);
}

export async function writePasswordHash(files: VeFiles, user: string, hash: string): Promise<void> {
  const shadow = await files.read('etc/shadow');
  if (shadow === undefined) throw new VeError('NOT_FOUND', 'the VE has no /etc/shadow');
  await files.write('etc/shadow', shadowWithHash(shadow, user, hash), 0o640);
}
