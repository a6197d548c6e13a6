import { exitCodeOf, type MethodName } from '@/agents/protocol';
import { loadConfig } from '../daemon/config';
import { isAgentError } from '../daemon/errors';
import { callDaemon } from './daemon-client';
import { runRpcBridge } from './rpc';
import { runRsyncRecv } from '../migrate/rsync-recv';

const USAGE = `usage: vzagent rpc [--socket PATH] [--vzroot DIR]
       vzagent call METHOD [JSON_PARAMS] [--op-id ID] [--socket PATH] [--vzroot DIR]
       vzagent rsync-recv --vzroot DIR --ctid N   (forced command of a migration key)`;

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
  const config = loadConfig(argv);
  const valueFlags = new Set(['--socket', '--vzroot', '--bridge', '--op-id', '--ctid']);
  const positional = argv.filter((a, i) => !a.startsWith('--') && !valueFlags.has(argv[i - 1]));
  const [cmd, ...rest] = positional;
  if (cmd === 'rpc') return runRpcBridge(config.socket);
  if (cmd === 'rsync-recv') return runRsyncRecv(config.vzroot, Number(argv[argv.indexOf('--ctid') + 1]));
  if (cmd === 'call' && rest[0]) {
    const opIdx = argv.indexOf('--op-id');
    return call(config.socket, rest[0], rest[1] ? JSON.parse(rest[1]) : undefined, opIdx >= 0 ? argv[opIdx + 1] : undefined);
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

mainCli(process.argv.slice(2)).then((code) => process.exit(code));
