// One-time node bootstrap over SSH with an admin credential; afterwards only the restricted key is used.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import { AppError } from '@/server/errors';
import { parsePublicKeyLine, restrictedAuthorizedKeysLine } from './keys';
import { mustRun, openSftp, runRemote, sftpMkdirP, sftpRead, sftpWriteAtomic } from './remote';
import { SshTransport } from './transport';
import { AGENT_ACCOUNT, AGENT_HOME, ensureAgentAccount } from './agent-account';
import { probeLoginShell } from './shell-probe';
import { verifyAgentLogin } from './verify';
import { preflightNode } from './preflight';

/** Packages a node needs (brief: LXC, LXCFS, CRIU, templates tooling, rsync, nftables). */
export const NODE_PACKAGES = ['lxc', 'lxcfs', 'uidmap', 'criu', 'rsync', 'busybox-static', 'debootstrap', 'nftables'];

export interface BootstrapInput {
  host: string;
  port: number;
  /** Pinned host key (`SHA256:...`) the admin confirmed from fetchHostKey(). */
  hostKeyFingerprint: string;
  /** One-time admin credential: used for this connection only, never stored or logged. */
  admin: { username?: string; password?: string; privateKey?: string };
  panelKey: { publicKey: string; privateKey: string };
}

export interface BootstrapOptions {
  /** Where the agent goes on the node (tests use a temp dir per node). */
  installRoot?: string;
  /** Local source of the agent: `<agentDir>/dist/*.js`, `<agentDir>/bin/*`, `<agentDir>/systemd/vzagentd.service`. */
  agentDir?: string;
  /** Agent options written into the unit / start command. */
  vzroot?: string;
  socket?: string;
  bridge?: string;
  /** File the restricted line is added to (default: <agentHome>/.ssh/authorized_keys). */
  authorizedKeysPath?: string;
  /** The unprivileged account the panel logs in as from now on (default vzagent; tests use their own). */
  agentUser?: string;
  agentHome?: string;
  /** The admin login's shell must run a trivial command within this (default 10 s). */
  shellProbeTimeoutMs?: number;
  /** Everything done with the admin credential, apt excepted, must finish within this (default 5 min). */
  adminDeadlineMs?: number;
  /** systemd unit path (default /etc/systemd/system/vzagentd.service). */
  unitPath?: string;
  /** Packages to ensure; `false` skips apt entirely (tests). */
  packages?: string[] | false;
  /** Extra environment for a directly started daemon (tests: VZ_AGENT_TEST_HANDLERS). */
  agentEnv?: Record<string, string>;
  /** 'auto' (default): systemd when PID 1 is systemd, else a detached process. */
  startWith?: 'auto' | 'systemd' | 'direct';
  /** Milliseconds to wait for the agent to answer `hello` through the restricted key. */
  verifyTimeoutMs?: number;
  onStep?: (step: string) => void;
}

export interface BootstrapResult {
  installRoot: string;
  /** The account the panel's restricted key logs in as (store it as the node's SSH user). */
  agentUser: string;
  /** Round trip of one command through the admin login shell, and of hello through the agent account. */
  shellProbeMs: number;
  helloMs: number;
  forcedCommand: string;
  authorizedKeysPath: string;
  startedBy: 'systemd' | 'direct';
  hello: Record<string, unknown>;
}

const safePath = (p: string, what: string) => {
  if (!path.isAbsolute(p) || !/^[A-Za-z0-9_./-]+$/.test(p) || p.split('/').includes('..')) {
    throw new AppError('BAD_INPUT', `${what} must be an absolute path of [A-Za-z0-9_./-]`, { field: what });
  }
  return p;
};

/**
 * Bootstrap a node: connect once with the admin credential (host key pinned), check its login
 * shell runs a command quickly and prints nothing, install missing packages, copy the agent to
 * `installRoot`, create the unprivileged agent account (shell /bin/sh: no startup files), write
 * the agent's unit (socket open to that account's group) and start it, authorize the panel key
 * for that account with a forced command, then prove the node works by calling `hello` as that
 * account with ONLY the restricted key. Root is used for this once; nothing the admin set up is
 * removed or disabled. Every remote command is a fixed, fully quoted argv with a deadline; files
 * go over SFTP; the whole admin phase has a deadline too.
 */
export async function bootstrapNode(input: BootstrapInput, opts: BootstrapOptions = {}): Promise<BootstrapResult> {
  const step = opts.onStep ?? (() => {});
  const installRoot = safePath(opts.installRoot ?? '/opt/vzpanel-agent', 'installRoot');
  const vzroot = safePath(opts.vzroot ?? '/var/lib/vz', 'vzroot');
  const socket = safePath(opts.socket ?? path.join(vzroot, 'run', 'vzagentd.sock'), 'socket');
  const unitPath = safePath(opts.unitPath ?? '/etc/systemd/system/vzagentd.service', 'unitPath');
  const agentUser = opts.agentUser ?? AGENT_ACCOUNT;
  const agentHome = safePath(opts.agentHome ?? AGENT_HOME, 'agentHome');
  if (opts.authorizedKeysPath) safePath(opts.authorizedKeysPath, 'authorizedKeysPath');
  let authorizedKeysPath = opts.authorizedKeysPath ?? '';
  const agentDir = opts.agentDir ?? path.resolve(import.meta.dirname, '../../../agents');
  const forcedCommand = `${installRoot}/bin/vzagent rpc --socket ${socket}`;
  const keyLine = restrictedAuthorizedKeysLine(input.panelKey.publicKey, forcedCommand);
  const username = input.admin.username ?? 'root';
  if (!/^[a-z_][a-z0-9_-]*$/.test(username)) throw new AppError('BAD_INPUT', 'bad SSH user name', { field: 'username' });
  if (!input.admin.password && !input.admin.privateKey) throw new AppError('BAD_INPUT', 'a root password or key is required', { field: 'admin' });

  step('connect');
  const admin = new SshTransport(
    { name: 'bootstrap', host: input.host, port: input.port, username, hostKeyFingerprint: input.hostKeyFingerprint, privateKey: input.admin.privateKey, password: input.admin.password },
    { maxAttempts: 1 },
  );
  let startedBy: BootstrapResult['startedBy'] | undefined;
  let shellProbeMs = 0;
  // apt gets its own (long) deadlines; everything else shares this one
  let aptMs = 0;
  let aptSince = 0;
  const adminDeadlineMs = opts.adminDeadlineMs ?? 300_000;
  const t0 = Date.now();
  let expire: (e: AppError) => void = () => {};
  // A node that stops answering mid-way leaves SFTP requests pending forever: the deadline wins the race instead.
  const expired = new Promise<never>((_, reject) => { expire = reject; });
  const timer = setInterval(() => {
    if (aptSince || Date.now() - t0 - aptMs < adminDeadlineMs) return;
    expire(new AppError('UNPROCESSABLE', `bootstrap with the admin credential did not finish within ${adminDeadlineMs / 1000} s (the node stopped answering)`, { reason: 'TIMEOUT' }));
  }, 1000);
  const adminPhase = async () => {
    const c = await admin.connection();
    ({ ms: shellProbeMs } = await probeLoginShell(c, `${username}@${input.host}`, opts.shellProbeTimeoutMs ?? 10_000));
    step(`shell round trip ${shellProbeMs} ms`);
    const uid = (await mustRun(c, 'check root', ['id', '-u'])).stdout.trim();
    if (uid !== '0') throw new AppError('FORBIDDEN', 'the bootstrap credential must log in as root', { step: 'check root' });
    step('check OS and kernel');
    const found = await preflightNode(c);
    step(`found ${found.os}, kernel ${found.kernel}`);
    if (opts.packages !== false) {
      aptSince = Date.now();
      await ensurePackages(c, opts.packages ?? NODE_PACKAGES, step).finally(() => { aptMs += Date.now() - aptSince; aptSince = 0; });
    }
    const nodeVersion = (await runRemote(c, ['node', '--version'])).stdout.trim();
    const major = Number(/^v(\d+)/.exec(nodeVersion)?.[1] ?? 0);
    if (major < 20) throw new AppError('UNPROCESSABLE', `the node needs Node.js 20 or newer in PATH (found ${nodeVersion || 'none'})`, { step: 'node' });

    const sftp = await openSftp(c);
    step('copy agent');
    await copyAgent(sftp, agentDir, installRoot);

    step('agent account');
    const home = await ensureAgentAccount(c, agentUser, agentHome);
    authorizedKeysPath ||= safePath(path.join(home, '.ssh', 'authorized_keys'), 'agent home');

    step('write unit');
    await sftpMkdirP(sftp, path.dirname(unitPath));
    await sftpWriteAtomic(sftp, unitPath, renderUnit(readFileSync(path.join(agentDir, 'systemd', 'vzagentd.service'), 'utf8'), installRoot, vzroot, socket, opts.bridge, agentUser, authorizedKeysPath), 0o644);

    step('authorize panel key');
    await addAuthorizedKey(sftp, authorizedKeysPath, keyLine);
    // An earlier bootstrap put the panel key on root itself: root's shell must not be the panel's way in any more.
    const rootKeys = path.join((await sftpRealpath(sftp, '.')) || '/root', '.ssh', 'authorized_keys');
    if (rootKeys !== authorizedKeysPath) await removeAuthorizedKey(sftp, rootKeys, keyLine);

    step('start agent');
    const pid1 = (await sftpRead(sftp, '/proc/1/comm'))?.trim();
    // A daemon started directly by an earlier bootstrap keeps running (its socket answers);
    // it loads the new bundle on its next restart.
    const useSystemd = opts.startWith === 'systemd' || (opts.startWith !== 'direct' && pid1 === 'systemd');
    if (useSystemd) {
      await mustRun(c, 'systemctl daemon-reload', ['systemctl', 'daemon-reload']);
      await mustRun(c, 'systemctl enable', ['systemctl', 'enable', path.basename(unitPath)]);
      await mustRun(c, 'systemctl restart', ['systemctl', 'restart', path.basename(unitPath)]);
      startedBy = 'systemd';
    } else {
      const daemon = { installRoot, vzroot, socket, bridge: opts.bridge, group: agentUser, keysFile: authorizedKeysPath };
      if (!(await directDaemonRunning(sftp, installRoot))) await startDirect(c, daemon, opts);
      startedBy = 'direct';
    }
    sftp.end();
  };
  const work = adminPhase();
  work.catch(() => { /* reported through the race below, or abandoned at the deadline */ });
  try {
    await Promise.race([work, expired]);
  } finally {
    clearInterval(timer);
    await admin.close();
  }

  step('verify with the restricted key');
  const { hello, ms: helloMs } = await verifyAgentLogin({ ...input, username: agentUser }, opts.verifyTimeoutMs ?? 15_000);
  step(`agent round trip ${helloMs} ms`);
  return { installRoot, agentUser, shellProbeMs, helloMs, forcedCommand, authorizedKeysPath, startedBy: startedBy ?? 'direct', hello };
}

async function ensurePackages(c: Client, pkgs: string[], step: (s: string) => void) {
  for (const p of pkgs) if (!/^[a-z0-9][a-z0-9+.-]+$/.test(p)) throw new AppError('BAD_INPUT', `bad package name ${p}`);
  const missing: string[] = [];
  for (const p of pkgs) {
    const r = await runRemote(c, ['dpkg-query', '-W', '-f=${Status}', p]);
    if (r.code !== 0 || !r.stdout.includes('install ok installed')) missing.push(p);
  }
  if (missing.length === 0) return;
  step(`apt-get install ${missing.join(' ')}`);
  await mustRun(c, 'apt-get update', ['apt-get', 'update'], { timeoutMs: 600_000 });
  await mustRun(c, 'apt-get install', ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--no-install-recommends', ...missing], { timeoutMs: 1_800_000 });
}

async function copyAgent(sftp: SFTPWrapper, agentDir: string, installRoot: string) {
  const dist = path.join(agentDir, 'dist');
  const files = readdirSync(dist).filter((f) => f.endsWith('.js'));
  if (!files.includes('vzagent.js') || !files.includes('vzagentd.js')) {
    throw new AppError('UNPROCESSABLE', `agent bundle missing in ${dist}: run npm run agent:build`);
  }
  await sftpMkdirP(sftp, `${installRoot}/dist`);
  await sftpMkdirP(sftp, `${installRoot}/bin`);
  for (const f of files) await sftpWriteAtomic(sftp, `${installRoot}/dist/${f}`, readFileSync(path.join(dist, f)), 0o644);
  for (const f of readdirSync(path.join(agentDir, 'bin'))) {
    await sftpWriteAtomic(sftp, `${installRoot}/bin/${f}`, readFileSync(path.join(agentDir, 'bin', f)), 0o755);
  }
}

/**
 * The agent's unit template with our paths and options filled in. Migration keys go into the
 * agent account's authorized_keys (`keysFile`), so sshd's default AuthorizedKeysFile finds them.
 */
export function renderUnit(template: string, installRoot: string, vzroot: string, socket: string, bridge?: string, group?: string, keysFile?: string): string {
  const args = daemonArgs({ vzroot, socket, bridge, group }).join(' ');
  return template
    .replace(/^ExecStart=.*$/m, `ExecStart=${installRoot}/bin/vzagentd ${args}`)
    .replace(/^Environment=VZ_ROOT=.*$/m, `Environment=VZ_ROOT=${vzroot}${keysFile ? `\nEnvironment=VZ_MIGRATE_AUTHORIZED_KEYS=${keysFile}` : ''}`)
    // The template opens the socket to the local panel's vzpanel group; a remote node has the flag above instead.
    .replace(/^#[^\n]*\n(?=Environment=VZ_SOCKET_GROUP=)/m, '')
    .replace(/^Environment=VZ_SOCKET_GROUP=.*\n/m, '');
}

const daemonArgs = (d: { vzroot: string; socket: string; bridge?: string; group?: string }) =>
  ['--vzroot', d.vzroot, '--socket', d.socket, ...(d.bridge ? ['--bridge', d.bridge] : []), ...(d.group ? ['--socket-group', d.group] : [])];

const keyBlob = (keyLine: string) => parsePublicKeyLine(keyLine.slice(keyLine.indexOf('" ') + 2)).blob.toString('base64');

/**
 * Add the restricted line, replacing any earlier line for the same key (e.g. an unrestricted
 * copy). Root-owned and world-readable (0644, folder 0755): sshd reads it as the agent account,
 * which must not be able to change it.
 */
async function addAuthorizedKey(sftp: SFTPWrapper, file: string, keyLine: string) {
  const blob = keyBlob(keyLine);
  const current = (await sftpRead(sftp, file)) ?? '';
  const kept = current.split('\n').filter((l) => l.trim() !== '' && !l.split(/\s+/).includes(blob));
  await sftpMkdirP(sftp, path.dirname(file), 0o755);
  await sftpWriteAtomic(sftp, file, [...kept, keyLine].join('\n') + '\n', 0o644);
}

/** Drop every line for the panel key from `file` (left untouched when it has none). */
async function removeAuthorizedKey(sftp: SFTPWrapper, file: string, keyLine: string) {
  const blob = keyBlob(keyLine);
  const current = await sftpRead(sftp, file).catch(() => undefined);
  if (!current?.split(/\s+/).includes(blob)) return;
  const kept = current.split('\n').filter((l) => l.trim() !== '' && !l.split(/\s+/).includes(blob));
  await sftpWriteAtomic(sftp, file, kept.map((l) => `${l}\n`).join(''), 0o600);
}

function sftpRealpath(sftp: SFTPWrapper, p: string): Promise<string> {
  return new Promise((resolve) => sftp.realpath(p, (e, abs) => resolve(e ? '' : abs)));
}

/** True when the pid recorded by an earlier direct start is still a live vzagentd. */
async function directDaemonRunning(sftp: SFTPWrapper, installRoot: string): Promise<boolean> {
  const pid = (await sftpRead(sftp, `${installRoot}/vzagentd.pid`))?.trim();
  if (!pid || !/^\d+$/.test(pid)) return false;
  const cmdline = await sftpRead(sftp, `/proc/${pid}/cmdline`).catch(() => undefined);
  // the wrapper execs node, so argv[1] is `<root>/bin/../dist/vzagentd.js`
  return !!cmdline && cmdline.includes(`${installRoot}/`) && cmdline.includes('vzagentd');
}

/** No systemd (containers, tests): start vzagentd detached in its own session, output to a log file. */
async function startDirect(c: Client, d: { installRoot: string; vzroot: string; socket: string; bridge?: string; group: string; keysFile: string }, opts: BootstrapOptions) {
  const { installRoot } = d;
  const env = Object.entries({ VZ_MIGRATE_AUTHORIZED_KEYS: d.keysFile, ...opts.agentEnv }).map(([k, v]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k) || !/^[A-Za-z0-9_./:=-]*$/.test(v)) throw new AppError('BAD_INPUT', `bad agent env ${k}`);
    return `${k}=${v}`;
  });
  const daemon = [`${installRoot}/bin/vzagentd`, ...daemonArgs(d)];
  // The script is fixed text; the pid file, log path and daemon argv arrive as positional
  // parameters. sh records its own pid, then execs the daemon under that same pid.
  const script = 'echo $$ >"$1"; log="$2"; shift 2; exec "$@" >>"$log" 2>&1 </dev/null';
  const r = await runRemote(c, ['env', ...env, 'setsid', '-f', 'sh', '-c', script, 'sh', `${installRoot}/vzagentd.pid`, `${installRoot}/vzagentd.log`, ...daemon]);
  if (r.code !== 0) throw new AppError('UNPROCESSABLE', `cannot start vzagentd: ${r.stderr.trim()}`, { step: 'start agent' });
}
