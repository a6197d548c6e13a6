import net from 'node:net';
import { loadConfig } from '../daemon/config';
import { runRpcBridge } from './rpc';

const USAGE = `usage: vzagent rpc [--socket PATH] [--vzroot DIR]
       vzagent call METHOD [JSON_PARAMS] [--op-id ID] [--socket PATH] [--vzroot DIR]`;

/** One request over the socket; prints notifications to stderr and the response to stdout. */
async function call(socket: string, method: string, params: unknown, opId?: string): Promise<number> {
  const conn = net.connect(socket);
  return new Promise((resolve) => {
    let buf = '';
    conn.once('error', (e) => {
      process.stderr.write(`vzagent: cannot reach vzagentd at ${socket}: ${e.message}\n`);
      resolve(1);
    });
    conn.once('connect', () => conn.write(`${JSON.stringify({ id: 1, method, params, opId })}\n`));
    conn.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (msg.id === undefined) {
          process.stderr.write(`${JSON.stringify(msg)}\n`);
          continue;
        }
        process.stdout.write(`${JSON.stringify(msg.error ?? msg.result, null, 2)}\n`);
        conn.end();
        resolve(msg.error ? 1 : 0);
      }
    });
  });
}

async function mainCli(argv: string[]): Promise<number> {
  const config = loadConfig(argv);
  const positional = argv.filter((a, i) => !a.startsWith('--') && !(argv[i - 1]?.startsWith('--') && !argv[i - 1].includes('=')));
  const [cmd, ...rest] = positional;
  if (cmd === 'rpc') return runRpcBridge(config.socket);
  if (cmd === 'call' && rest[0]) {
    const opIdx = argv.indexOf('--op-id');
    return call(config.socket, rest[0], rest[1] ? JSON.parse(rest[1]) : undefined, opIdx >= 0 ? argv[opIdx + 1] : undefined);
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

mainCli(process.argv.slice(2)).then((code) => process.exit(code));
