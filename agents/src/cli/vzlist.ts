// vzlist on the node: the VE list from vzagentd, filtered, sorted and printed like OpenVZ's.
import { exitCodeOf } from '@/agents/protocol';
import { loadConfig } from '../daemon/config';
import { isAgentError } from '../daemon/errors';
import { callDaemon, wantsHelp } from './daemon-client';
import { parseVzlist, renderVzlist, selectRows, type Row } from './vzlist-args';

const USAGE = 'usage: vzlist [-a|-S] [-o fields] [-s [-]field] [-j] [-H] [-1] [--vzroot DIR] [--socket PATH]';

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig(argv);
  const args = argv.filter((a, i) => !['--socket', '--vzroot', '--bridge'].includes(a) && !['--socket', '--vzroot', '--bridge'].includes(argv[i - 1]));
  let o;
  try {
    o = parseVzlist(args);
  } catch (e) {
    process.stderr.write(`vzlist: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    const { ves } = await callDaemon(config.socket, 've.list', {});
    const rows = selectRows(ves as Row[], o);
    // Live process counts only when asked for (one ubc call per running VE).
    if (o.fields.includes('numproc') || o.sort === 'numproc') {
      for (const r of rows) {
        if (r.status !== 'running') continue;
        const u = await callDaemon(config.socket, 've.ubc', { ctid: r.ctid }).catch(() => null);
        r.nproc = u?.rows.find((x) => x.resource === 'numproc')?.held;
      }
    }
    process.stdout.write(renderVzlist(selectRows(rows, { ...o, all: true, stopped: false }), o));
    return 0;
  } catch (e) {
    const code = isAgentError(e) ? e.code : 'INTERNAL';
    process.stderr.write(`vzlist: ${(e as Error).message}\n`);
    return exitCodeOf(code);
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
