// What an uploaded root filesystem may contain. Every member is judged from its tar header alone,
// before anything is extracted anywhere; the first violation refuses the whole archive with its reason.
import { refuse, type TarEntry, type TarType } from './tar-stream';

export interface ArchiveLimits {
  /** Members (files, dirs, links...) in the archive. */
  maxEntries: number;
  /** Sum of member sizes once unpacked (a small upload can unpack huge: zip bomb). */
  maxUnpackedBytes: number;
}

/**
 * Setuid/setgid programs a stock Debian/Ubuntu/Alpine-like root legitimately ships (password and
 * login tools, mount, cron, ssh-keysign...). Anything else with a set-id bit is refused: in a
 * template it is most likely a planted root shell. Listed once per directory they live in.
 */
const SETID_NAMES: Record<string, string[]> = {
  'usr/bin': ['passwd', 'su', 'mount', 'umount', 'chsh', 'chfn', 'gpasswd', 'newgrp', 'sudo', 'chage', 'expiry', 'crontab', 'wall', 'write', 'bsd-write', 'ssh-agent', 'pkexec', 'fusermount', 'fusermount3', 'ping', 'ping6', 'at', 'dotlockfile', 'newuidmap', 'newgidmap'],
  'usr/sbin': ['unix_chkpwd', 'pam_extrausers_chkpwd', 'mount.nfs'],
  'usr/lib/openssh': ['ssh-keysign'],
  'usr/lib/dbus-1.0': ['dbus-daemon-launch-helper'],
  'usr/lib/policykit-1': ['polkit-agent-helper-1'],
  'usr/libexec': ['ssh-keysign', 'polkit-agent-helper-1', 'dbus-daemon-launch-helper'],
  'usr/libexec/utempter': ['utempter'],
  'usr/lib/x86_64-linux-gnu/utempter': ['utempter'],
};
// Non-merged-usr roots keep the same programs in /bin and /sbin.
const SETID_DIR_ALIASES: Record<string, string> = { bin: 'usr/bin', sbin: 'usr/sbin' };
export const SETID_ALLOWED: ReadonlySet<string> = new Set(
  Object.entries(SETID_NAMES).flatMap(([dir, names]) => names.flatMap((n) => [
    `${dir}/${n}`,
    ...Object.entries(SETID_DIR_ALIASES).filter(([, d]) => d === dir).map(([alias]) => `${alias}/${n}`),
  ])),
);

/** Character devices a root may carry in /dev (major:minor): null, zero, full, random, urandom, tty, console, ptmx. */
const CHAR_DEVICES = new Set(['1:3', '1:5', '1:7', '1:8', '1:9', '5:0', '5:1', '5:2']);
/** FIFOs only where init systems keep them (sysvinit's /dev/initctl, runtime dirs). */
const FIFO_DIRS = ['dev/', 'run/'];
/** os-release bodies are read for os/version; only small ones. */
const OS_RELEASE_MAX = 64 * 1024;

/** `./a//b/` -> `a/b`; refuses absolute paths and `..` components (tar would write outside the root). */
export function normalizeMember(name: string, what = 'member'): string {
  if (name.length > 4096) throw refuse(`${what} name longer than 4096 bytes`);
  if (name.includes('\0')) throw refuse(`${what} name with a NUL byte`);
  if (name.startsWith('/')) throw refuse(`${what} ${JSON.stringify(name)} has an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse(`${what} ${JSON.stringify(name)} has a ".." component`);
  return parts.join('/');
}

/** Where a relative symlink at `at` lands, lexically; null when it climbs above the root. */
function lexicalTarget(at: string, target: string): string | null {
  const out = at.split('/').slice(0, -1).filter(Boolean);
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (!out.length) return null;
      out.pop();
    } else out.push(p);
  }
  return out.join('/');
}

interface Seen { type: TarType; link: string }

/** Judges members one at a time (call `entry` for each, `data` for bodies it asked for), then `result`. */
export class RootfsPolicy {
  private readonly seen = new Map<string, Seen>();
  private readonly bodies = new Map<string, Buffer>();
  entries = 0;
  unpackedBytes = 0;

  constructor(private readonly limits: ArchiveLimits) {}

  /** Checks one member; returns true when its body is wanted (os-release candidates). */
  entry(e: TarEntry): boolean {
    if (++this.entries > this.limits.maxEntries) throw refuse(`more than ${this.limits.maxEntries} members`);
    const p = normalizeMember(e.name);
    if (p === '' && e.type !== 'dir') throw refuse('the root itself must be a directory');
    this.unpackedBytes += e.type === 'file' ? e.size : 0;
    if (this.unpackedBytes > this.limits.maxUnpackedBytes) throw refuse(`unpacks to more than ${this.limits.maxUnpackedBytes} bytes`);
    this.checkParents(p);
    this.checkKind(p, e);
    if (e.type !== 'dir' && e.mode & 0o6000 && !SETID_ALLOWED.has(p)) {
      throw refuse(`${p} is setuid/setgid and not in the allowed set (see SETID_ALLOWED in server/services/templates/upload/policy.ts)`);
    }
    const link = e.type === 'hardlink' ? normalizeMember(e.linkname, 'hard link target') : e.linkname;
    this.seen.set(p, { type: e.type, link });
    return e.type === 'file' && p.split('/').pop() === 'os-release' && e.size <= OS_RELEASE_MAX;
  }

  data(e: TarEntry, body: Buffer): void {
    this.bodies.set(normalizeMember(e.name), body);
  }

  // A member written through an earlier symlink would land wherever that link points.
  private checkParents(p: string): void {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const s = this.seen.get(parts.slice(0, i).join('/'));
      if (s && s.type !== 'dir') throw refuse(`${p} lies below ${parts.slice(0, i).join('/')}, which is not a directory (a ${s.type})`);
    }
  }

  private checkKind(p: string, e: TarEntry): void {
    if (e.type === 'block') throw refuse(`${p} is a block device`);
    if (e.type === 'char' && !(p.startsWith('dev/') && CHAR_DEVICES.has(`${e.devmajor}:${e.devminor}`))) {
      throw refuse(`${p} is a character device ${e.devmajor}:${e.devminor} (only the standard /dev nodes are allowed)`);
    }
    if (e.type === 'fifo' && !FIFO_DIRS.some((d) => p.startsWith(d))) throw refuse(`${p} is a FIFO outside /dev and /run`);
    if (e.type === 'symlink') {
      if (!e.linkname) throw refuse(`${p} is a symlink with an empty target`);
      if (!e.linkname.startsWith('/') && lexicalTarget(p, e.linkname) === null) {
        throw refuse(`symlink ${p} -> ${e.linkname} escapes the root`);
      }
    }
    if (e.type === 'hardlink') {
      const t = normalizeMember(e.linkname, `hard link ${p} target`);
      const s = this.seen.get(t);
      if (!s || (s.type !== 'file' && s.type !== 'hardlink')) throw refuse(`hard link ${p} -> ${e.linkname} does not name an earlier file in the archive`);
    }
  }

  /** Follows symlinks inside the archive the way the kernel would inside the VE (absolute = from the VE's root). */
  resolve(p: string): { path: string; seen: Seen } | null {
    let parts = p.split('/').filter(Boolean);
    for (let hops = 0, i = 0; i < parts.length;) {
      const cur = parts.slice(0, i + 1).join('/');
      const s = this.seen.get(cur);
      if (!s) return null;
      if (s.type === 'symlink') {
        if (++hops > 40) return null;
        const base = s.link.startsWith('/') ? [] : parts.slice(0, i);
        const joined = [...base, ...s.link.split('/'), ...parts.slice(i + 1)];
        parts = [];
        for (const x of joined) {
          if (x === '..') parts.pop();
          else if (x && x !== '.') parts.push(x);
        }
        i = 0;
        continue;
      }
      if (i === parts.length - 1) return { path: cur, seen: s };
      i++;
    }
    return null;
  }

  private fileAt(p: string): string | null {
    const r = this.resolve(p);
    if (!r) return null;
    if (r.seen.type === 'hardlink') return r.seen.link;
    return r.seen.type === 'file' ? r.path : null;
  }

  /** After the last member: the root must boot (an init) and say what it is (/etc/os-release). */
  result(): { init: string; os: string; version: string; prettyName: string | null } {
    const init = ['sbin/init', 'lib/systemd/systemd', 'usr/lib/systemd/systemd'].find((c) => this.fileAt(c));
    if (!init) throw refuse('no init: neither /sbin/init nor /lib/systemd/systemd is a file in it');
    const rel = this.fileAt('etc/os-release') ?? this.fileAt('usr/lib/os-release');
    if (!rel) throw refuse('no /etc/os-release (or /usr/lib/os-release) file');
    const body = this.bodies.get(rel);
    if (!body) throw refuse(`/etc/os-release resolves to /${rel}, which could not be read`);
    return { init: `/${init}`, ...parseOsRelease(body.toString('utf8')) };
  }
}

/** ID and VERSION_ID from os-release, shaped to what a template manifest accepts. */
export function parseOsRelease(text: string): { os: string; version: string; prettyName: string | null } {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) kv[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  const os = (kv.ID ?? '').toLowerCase();
  if (!/^[a-z0-9._-]{1,32}$/.test(os)) throw refuse(`/etc/os-release has no usable ID (got ${JSON.stringify(kv.ID ?? '')})`);
  const version = kv.VERSION_ID ?? kv.VERSION_CODENAME ?? 'rolling';
  if (!/^[A-Za-z0-9._+~-]{1,32}$/.test(version)) throw refuse(`/etc/os-release VERSION_ID ${JSON.stringify(version)} is not usable`);
  return { os, version, prettyName: kv.PRETTY_NAME?.slice(0, 200) ?? null };
}
