import { exitCodeOf, type MethodName } from '@/agents/protocol';
import { loadConfig } from '../daemon/config';
import { isAgentError } from '../daemon/errors';
import { callDaemon, wantsHelp } from './daemon-client';
import { runRpcBridge } from './rpc';
import { runRsyncRecv } from '../migrate/rsync-recv';
import { parseConsoleCommand } from '@/agents/protocol/console';
import { runConsole } from '../console/serve';

const USAGE = `usage: vzagent rpc [--socket PATH] [--vzroot DIR]
       vzagent call METHOD [JSON_PARAMS] [--op-id ID] [--socket PATH] [--vzroot DIR]
       vzagent console CTID [--socket PATH] [--vzroot DIR]   (framed web-console stream)
       vzagent rsync-recv --vzroot DIR --ctid N   (forced command of a migration key)
       vzagent backup-export TOKEN [--socket PATH]   (framed tarball of a backup, token from ve.backup.export)`;

const exportToken = (cmd: string | undefined): string | null => /^vzagent backup-export ([A-Za-z0-9_-]{32})$/.exec(cmd ?? '')?.[1] ?? null;
/** The daemon holds the export's token and secrets, so the download is always its stream. */
const exportMode = (socket: string, token: string) => runRpcBridge(socket, { header: { stream: 'backup-export', token }, what: 'backup-export' });

// Not root: the node's agent SSH account, which may only reach the daemon's socket; the daemon
// then runs the console or the migration receiver itself.
const unprivileged = () => process.geteuid?.() !== 0;

/** The console stream on stdin/stdout; SIGTERM/SIGHUP (panel or sshd hanging up) end the VE session too. */
function consoleMode(socket: string, ctid: number): Promise<number> {
  if (unprivileged()) return runRpcBridge(socket, { header: { stream: 'console', ctid }, what: 'console' });
  return runConsole(socket, ctid, {
    input: process.stdin,
    output: process.stdout,
    onSignal: (stop) => { for (const s of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(s, stop); },
  });
}

/**
 * `vzagent rpc` is the forced command of the panel's key, so sshd hands us what the panel asked
 * for in SSH_ORIGINAL_COMMAND. Only the exact console form switches modes; other console-looking
 * requests are refused rather than guessed at, and anything else stays the RPC bridge.
 */
function forcedMode(socket: string): Promise<number> {
  const asked = process.env.SSH_ORIGINAL_COMMAND;
  const token = exportToken(asked);
  if (token) return exportMode(socket, token);
  if (asked === undefined || !/^\s*vzagent\s+console\b/.test(asked)) return runRpcBridge(socket);
  const ctid = parseConsoleCommand(asked);
  if (ctid === null) {
    process.stderr.write('vzagent: refused: console request must be exactly "vzagent console <ctid>"\n');
    return Promise.resolve(2);
  }
  return consoleMode(socket, ctid);
}

/** One call for people debugging a node: notifications to stderr, the result as JSON to stdout. */
async function call(socket: string, method: string, params: unknown, opId?: string): Promise<number> {
  try {
    const result = await callDaemon(socket, method as MethodName, params as never, {
      opId,
      onNotification: (n) => process.stderr.write(`${JSON.stringify(n)}\n`),
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (e) {
    const code = isAgentError(e) ? e.code : 'INTERNAL';
    process.stderr.write(`vzagent: ${code}: ${(e as Error).message}\n`);
    return exitCodeOf(code);
  }
}

async function mainCli(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig(argv);
  const valueFlags = new Set(['--socket', '--vzroot', '--bridge', '--op-id', '--ctid']);
  const positional = argv.filter((a, i) => !a.startsWith('--') && !valueFlags.has(argv[i - 1]));
  const [cmd, ...rest] = positional;
  if (cmd === 'rpc') return forcedMode(config.socket);
  if (cmd === 'console') {
    const ctid = parseConsoleCommand(`vzagent console ${rest[0] ?? ''}`);
    if (ctid !== null && rest.length === 1) return consoleMode(config.socket, ctid);
  }
  if (cmd === 'backup-export') {
    const token = exportToken(`vzagent backup-export ${rest[0] ?? ''}`);
    if (token && rest.length === 1) return exportMode(config.socket, token);
  }
  if (cmd === 'rsync-recv') {
    const ctid = Number(argv[argv.indexOf('--ctid') + 1]);
    if (!unprivileged()) return runRsyncRecv(config.vzroot, ctid);
    return runRpcBridge(config.socket, { header: { stream: 'rsync-recv', ctid, command: process.env.SSH_ORIGINAL_COMMAND ?? '' }, what: 'rsync-recv' });
  }
  if (cmd === 'call' && rest[0]) {
    const opIdx = argv.indexOf('--op-id');
    return call(config.socket, rest[0], rest[1] ? JSON.parse(rest[1]) : undefined, opIdx >= 0 ? argv[opIdx + 1] : undefined);
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

mainCli(process.argv.slice(2)).then((code) => process.exit(code));
