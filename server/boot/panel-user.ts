import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalDaemon } from '@/server/nodes/local-daemon';
import { logger } from '@/server/logger';
import type { PanelConfig } from './config';
import { startLocalAgent } from './local-node';
import { StartupError } from './startup-error';
import { dropPrivileges, ensurePanelUser, grantAppTraverse, grantSocket, ownDataDir, panelUserName, type PanelUser } from './privileges';

/** A port below net.ipv4.ip_unprivileged_port_start needs root (or CAP_NET_BIND_SERVICE, which the systemd unit grants). */
function refusePrivilegedPorts(cfg: PanelConfig, name: string): void {
  let first = 1024;
  try {
    first = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  } catch { /* older kernels: 1024 */ }
  const ports = cfg.tls ? [cfg.port, cfg.httpsPort] : [cfg.port];
  const low = ports.filter((p) => p > 0 && p < first);
  if (low.length) {
    throw new StartupError(`port ${low.join(' and ')} needs root, and the panel runs as the unprivileged user ${name}`,
      'use ports from 1024 up (e.g. 3000/3443) behind a reverse proxy (README: HTTPS), or run it under systemd (its unit grants CAP_NET_BIND_SERVICE)');
  }
}

/** The root-only part: the user, a way into the app folder, the data dir handed to it. */
export async function preparePanelUser(cfg: PanelConfig, appDir: string, name = panelUserName()): Promise<PanelUser> {
  const user = ensurePanelUser(name);
  grantAppTraverse(appDir, user);
  await ownDataDir(cfg.dataDir, user);
  return user;
}

/**
 * systemd's `ExecStartPre=+` for a unit running the panel as `User=vzpanel`: the root-only part,
 * and the socket of the agent (its own unit) opened to the panel user if that agent runs without
 * `VZ_SOCKET_GROUP`. Starts no agent: one started here would live in the panel unit's cgroup.
 */
export async function prepareForUnit(cfg: PanelConfig, appDir: string): Promise<void> {
  const user = await preparePanelUser(cfg, appDir);
  const socket = path.join(cfg.vzroot, 'run', 'vzagentd.sock');
  if (cfg.localNode && existsSync(socket)) grantSocket(socket, user);
}

/**
 * Start-up as root: the root-only preparation, then the drop to the panel user (README: Privilege
 * separation), before the database, Next or any request. `next dev` writes the app folder, so dev
 * mode stays root unless VZPANEL_USER says otherwise; VZPANEL_USER=root keeps root (development only).
 * Returns the local agent when this call started it, and whether privileges were dropped.
 */
export async function becomePanelUser(cfg: PanelConfig, appDir: string, at: (what: string, hint: string) => void): Promise<{ agent?: LocalDaemon; dropped: boolean }> {
  const name = cfg.dev && !process.env.VZPANEL_USER ? 'root' : panelUserName();
  const agentHint = `see ${cfg.vzroot}/log/vzagentd.log, or start with VZPANEL_LOCAL_NODE=0 to run without one`;
  if (process.getuid?.() !== 0 || name === 'root') {
    if (process.getuid?.() === 0) logger.warn('the web tier runs as root (VZPANEL_USER=root or VZPANEL_DEV=1): for development only');
    at('starting the local node', agentHint);
    return { agent: cfg.localNode ? await startLocalAgent(cfg.vzroot) : undefined, dropped: false };
  }
  at(`preparing the panel user ${name}`, 'start the panel as root (it drops to this user itself), or set VZPANEL_USER to an existing account');
  refusePrivilegedPorts(cfg, name);
  const user = await preparePanelUser(cfg, appDir, name);
  // Certificate and key are read now, as root: the panel user need not be able to read the key file.
  if (cfg.tls && cfg.tls !== 'self-signed') cfg.tls.pem = { cert: readFileSync(cfg.tls.cert), key: readFileSync(cfg.tls.key) };
  at('starting the local node', agentHint);
  const agent = cfg.localNode ? await startLocalAgent(cfg.vzroot, user) : undefined;
  at(`dropping privileges to ${name}`, 'check that the account is a plain system user (id vzpanel)');
  dropPrivileges(user, cfg.dataDir);
  logger.info({ user: name, uid: user.uid }, 'running as the unprivileged panel user');
  // Only root may signal the agent: one started here keeps running after the panel stops (VEs outlive it anyway).
  if (agent) logger.info({ pid: agent.pid }, 'the local agent started by this panel keeps running after it stops');
  return { agent, dropped: true };
}
