// The web tier runs as the unprivileged `vzpanel` user: an RCE in Next.js or a dependency must not
// be root on the node. Started as root, the panel does only what needs root here (the user, the
// local agent and its socket group, data-dir ownership, a way into the app folder), then drops.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { clearLeftoverPostmaster } from '@/server/db/postmaster';
import { StartupError } from './startup-error';
import { logger } from '@/server/logger';

export interface PanelUser {
  name: string;
  uid: number;
  gid: number;
}

/** The account the panel runs as: VZPANEL_USER, default `vzpanel`; `root` keeps the old behaviour (development only). */
export const panelUserName = (env: NodeJS.ProcessEnv = process.env): string => env.VZPANEL_USER || 'vzpanel';

function lookupUser(name: string): PanelUser | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  if (!line) return undefined;
  const f = line.split(':');
  return { name, uid: Number(f[2]), gid: Number(f[3]) };
}

/** gids of the groups listing `user` as a member (what initgroups will give it). */
function memberGids(user: string): number[] {
  return readFileSync('/etc/group', 'utf8').split('\n').map((l) => l.split(':')).filter((f) => (f[3] ?? '').split(',').includes(user)).map((f) => Number(f[2]));
}

/**
 * Runs a shadow-utils tool (useradd, usermod), again for up to ~10 s while another process holds
 * /etc/passwd's lock: shadow-utils fails at once then ("cannot lock /etc/passwd; try again later").
 */
function shadowTool(cmd: string, args: string[]): void {
  for (let i = 0; ; i++) {
    try {
      execFileSync(cmd, args, { stdio: 'pipe' });
      return;
    } catch (e) {
      if (i >= 40 || !/lock/i.test(String((e as { stderr?: unknown }).stderr ?? ''))) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
}

/** Creates the system user (and its group) on first start; two panels racing both end up with it. */
export function ensurePanelUser(name: string): PanelUser {
  const found = lookupUser(name);
  if (found) return found;
  try {
    shadowTool('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]);
    logger.info({ user: name }, 'created the panel system user');
  } catch (e) {
    if (!lookupUser(name)) throw new StartupError(`could not create the system user ${name}: ${String((e as { stderr?: unknown }).stderr ?? e).trim()}`, 'create it yourself (useradd --system --user-group vzpanel) or set VZPANEL_USER');
  }
  return lookupUser(name)!;
}

/** True when `user` may search (x) directory `dir` by its mode bits (ACLs aside). */
function canTraverse(dir: string, user: PanelUser): boolean {
  const st = statSync(dir);
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === user.gid || memberGids(user.name).includes(st.gid)) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

const ancestors = (p: string): string[] => {
  const out: string[] = [];
  for (let d = path.resolve(p); ; d = path.dirname(d)) {
    out.unshift(d);
    if (d === path.dirname(d)) return out;
  }
};

/** Run `runuser -u user -- test -x dir`: the kernel's answer, ACLs included. */
const userCanSearch = (dir: string, user: PanelUser): boolean => {
  try {
    execFileSync('runuser', ['-u', user.name, '--', 'test', '-x', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * The app folder (a checkout under /root, 0700) must be readable by the panel user. Each folder
 * on the way that it cannot enter gets a search-only ACL entry for it (no listing, no writing):
 * the app stays root-owned, so the panel cannot change code that root runs (the agent).
 */
export function grantAppTraverse(appDir: string, user: PanelUser): void {
  for (const dir of ancestors(appDir)) {
    if (canTraverse(dir, user) || userCanSearch(dir, user)) continue;
    try {
      execFileSync('setfacl', ['-m', `u:${user.name}:x`, dir], { stdio: 'pipe' });
      logger.info({ dir, user: user.name }, 'granted the panel user search (x) on a folder above the app');
    } catch (e) {
      throw new StartupError(`the panel user ${user.name} cannot reach the app in ${appDir} (${dir} is closed to it) and setfacl failed: ${(e as Error).message}`,
        'install the acl package (apt-get install acl), or move the checkout out of /root (e.g. /opt/vzpanel)');
    }
  }
}

/**
 * The data dir belongs to the panel user (it writes pg-password, tls/, keys/ there). An older
 * install's pgdata (owned by `postgres`), key and certificate files (root) are handed over once;
 * a postmaster a dead root panel left running there is stopped first. Everything above the data
 * dir must already be enterable: never under /root.
 */
export async function ownDataDir(dataDir: string, user: PanelUser): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const closed = ancestors(path.dirname(dataDir)).find((d) => !canTraverse(d, user));
  if (closed) throw new StartupError(`the data dir ${dataDir} lies below ${closed}, which the panel user ${user.name} cannot enter`, 'choose a VZPANEL_DATA_DIR outside /root (default /var/lib/vzpanel)');
  chownSync(dataDir, user.uid, user.gid);
  chmodSync(dataDir, 0o755);
  const pgdata = path.join(dataDir, 'pgdata');
  if (existsSync(pgdata) && statSync(pgdata).uid !== user.uid) await clearLeftoverPostmaster(pgdata);
  for (const name of ['pgdata', 'pg-password', 'tls', 'keys']) {
    const p = path.join(dataDir, name);
    if (!existsSync(p) || statSync(p).uid === user.uid) continue;
    // chown -R does not follow symbolic links below the top (-P is its default with -R).
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, p], { stdio: 'pipe' });
    logger.info({ path: p, user: user.name }, 'handed over to the panel user');
  }
}

/**
 * A local agent's socket that the panel user cannot open (a daemon started by an older root panel:
 * root:root 0600) is opened to its group the way `vzagentd --socket-group` does it. A socket
 * already given to another group (the node's SSH agent account) keeps it: the panel user joins it.
 */
export function grantSocket(socket: string, user: PanelUser): void {
  const st = statSync(socket);
  if (st.gid === user.gid || memberGids(user.name).includes(st.gid)) {
    if ((st.mode & 0o060) !== 0o060) chmodSync(socket, 0o660);
  } else if (st.gid === 0) {
    chownSync(socket, 0, user.gid);
    chmodSync(socket, 0o660);
  } else {
    shadowTool('usermod', ['-a', '-G', String(st.gid), user.name]);
    if ((st.mode & 0o060) !== 0o060) chmodSync(socket, 0o660);
  }
  const dir = path.dirname(socket);
  const d = statSync(dir);
  if (d.uid === 0 && d.gid === 0 && (d.mode & 0o777) === 0o700) {
    chownSync(dir, 0, statSync(socket).gid);
    chmodSync(dir, 0o710);
  }
}

/**
 * Becomes `user` for good: supplementary groups as initgroups(3) gives them (the socket's group), then gid,
 * then uid. Throws if root could be regained.
 */
export function dropPrivileges(user: PanelUser, dataDir: string): void {
  process.setgroups!([user.gid, ...memberGids(user.name)]);
  process.setgid!(user.gid);
  process.setuid!(user.uid);
  let regained = false;
  try {
    process.setuid!(0);
    regained = true;
  } catch { /* expected: EPERM */ }
  if (regained || process.getuid!() === 0 || process.geteuid!() === 0) throw new Error('privilege drop failed: the panel could become root again');
  // Child tools look at HOME (root's is closed to us now); the data dir is the panel user's own.
  Object.assign(process.env, { HOME: dataDir, USER: user.name, LOGNAME: user.name });
}
