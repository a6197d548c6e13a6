// Pure: `vzctl` argv (OpenVZ verbs and options) -> one agent call. Passwords never come from argv.
import { AgentError } from '../daemon/errors';

/** `interactive`: after the call (console.prepare) vzctl attaches the terminal itself (enter, console). */
export type Call = {
  method: string; params: Record<string, unknown>; passwordFor?: string; scriptFromStdin?: boolean; interactive?: 'enter' | 'console';
  print: 'status' | 'exec' | 'exec2' | 'ubc' | 'import' | 'quiet' | 'snapshot' | 'snapshot-list' | 'snapshot-list-noheader';
};

export class UsageError extends Error {}

const SIZE = /^(\d+(?:\.\d+)?)([KMGTP]?)(B?)$/i;
const MULT: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50 };

/** `256M`, `2G`, `512B` (bytes), `soft:hard` (hard wins); a bare number is multiplied by `unit` (vzctl: diskspace in KiB). */
export function parseSize(v: string, unit = 1): number {
  const hard = v.includes(':') ? v.split(':')[1] : v;
  const m = hard.match(SIZE);
  if (!m) throw new UsageError(`bad size ${v}`);
  // A lone `B` says bytes: it must not fall back to the option's default unit.
  const mult = m[2] ? MULT[m[2].toUpperCase()] : m[3] ? 1 : unit;
  return Math.round(Number(m[1]) * mult);
}

const int = (v: string, name: string) => {
  const x = v.includes(':') ? v.split(':')[1] : v;
  if (!/^\d+%?$/.test(x)) throw new UsageError(`--${name} needs a number`);
  return Number(x.replace('%', ''));
};
const yesNo = (v: string) => {
  if (v !== 'yes' && v !== 'no') throw new UsageError('expected yes or no');
  return v === 'yes';
};

/** Options shared by create and set. */
function setOptions(opts: [string, string | undefined][], params: Record<string, unknown>): string | undefined {
  let passwordFor: string | undefined;
  const push = (k: string, v: unknown) => ((params[k] as unknown[]) ??= []).push(v);
  for (const [k, v] of opts) {
    const need = () => {
      if (v === undefined) throw new UsageError(`--${k} needs a value`);
      return v;
    };
    switch (k) {
      case 'hostname': params.hostname = need(); break;
      case 'ipadd': push('ipadd', need()); break;
      case 'ipdel': push('ipdel', need()); break;
      case 'nameserver': push('nameservers', need()); break;
      case 'searchdomain': params.searchdomain = need(); break;
      case 'ram': params.ram = parseSize(need()); break;
      case 'swap': params.swap = parseSize(need()); break;
      case 'diskspace': params.diskspace = parseSize(need(), 1024); break;
      case 'diskinodes': params.diskinodes = int(need(), k); break;
      case 'numproc': params.numproc = int(need(), k); break;
      case 'cpuunits': params.cpuunits = int(need(), k); break;
      case 'cpulimit': params.cpulimit = int(need(), k); break;
      case 'cpus': params.cpus = int(need(), k); break;
      case 'ioprio': params.ioprio = int(need(), k); break;
      // vzctl: bytes/s with a B/K/M/G suffix, MiB/s without one.
      case 'iolimit': params.iolimit = parseSize(need(), 1024 * 1024); break;
      case 'iopslimit': params.iopslimit = int(need(), k); break;
      case 'onboot': params.onboot = yesNo(need()); break;
      case 'description': params.description = need(); break;
      case 'ostemplate': params.ostemplate = need(); break;
      case 'userpasswd': {
        const u = need();
        if (u.includes(':')) throw new UsageError('--userpasswd takes only the user name; the password is read from stdin (never from argv)');
        passwordFor = u;
        break;
      }
      // One veth per VE, eth0 on the node bridge, made by the agent from the VE's conf: nothing to add or remove.
      case 'netif_add': case 'netif_del':
        throw new AgentError('UNSUPPORTED', `--${k} is not supported: every VE has exactly one interface, eth0 (a veth on the node bridge, filtered to its own MAC and addresses); change its addresses with --ipadd/--ipdel`);
      case 'save': params.save = true; break;
      case 'nosave': params.save = false; break;
      default: throw new UsageError(`unknown option --${k}`);
    }
  }
  return passwordFor;
}

const FLAGS_WITHOUT_VALUE = new Set(['save', 'nosave', 'fast', 'wait', 'force', 'skiplock', 'start', 'dry-run', 'skip-resume']);

/** Split `--opt value` / `--opt=value` pairs from the rest. */
export function splitOpts(args: string[]): { pos: string[]; opts: [string, string | undefined][] } {
  const pos: string[] = [];
  const opts: [string, string | undefined][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) { pos.push(a); continue; }
    const [k, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (inline !== undefined) opts.push([k, inline]);
    else if (FLAGS_WITHOUT_VALUE.has(k)) opts.push([k, undefined]);
    else opts.push([k, args[++i]]);
  }
  return { pos, opts };
}

const VERBS: Record<string, string> = {
  start: 've.start', stop: 've.stop', restart: 've.restart', status: 've.status', destroy: 've.destroy', delete: 've.destroy',
  mount: 've.mount', umount: 've.umount', suspend: 've.suspend', chkpnt: 've.checkpoint', resume: 've.resume', restore: 've.restore', ubc: 've.ubc',
};

/** `vzctl import CTID --conf FILE [--private DIR] [--ipadd IP/PREFIX]... [--gateway IP] [--start] [--dry-run]`. */
function parseImport(ctid: number, opts: [string, string | undefined][]): Call {
  const params: Record<string, unknown> = { ctid };
  let dry = false;
  for (const [k, v] of opts) {
    const need = () => { if (!v) throw new UsageError(`--${k} needs a value`); return v; };
    if (k === 'conf' || k === 'private') params[k] = need();
    else if (k === 'ipadd') ((params.ips as string[] | undefined) ??= []).push(need());
    else if (k === 'gateway') params.gateway = need();
    else if (k === 'start') params.start = true;
    else if (k === 'dry-run') dry = true;
    else throw new UsageError(`unknown option --${k} for import`);
  }
  if (!params.conf) throw new UsageError('import needs --conf (the OpenVZ CTID.conf)');
  if (dry) for (const k of ['ips', 'gateway', 'start']) delete params[k];
  return { method: dry ? 've.import.plan' : 've.import', params, print: 'import' };
}

/** Turn `vzctl VERB CTID [options] [command...]` into an agent call. */
export function parseVzctl(argv: string[]): Call {
  const [verb, ctidS, ...rest] = argv;
  if (!verb) throw new UsageError('no verb');
  if (!ctidS || !/^\d+$/.test(ctidS)) throw new UsageError(`${verb}: missing or bad CTID`);
  const ctid = Number(ctidS);
  if (verb === 'exec' || verb === 'exec2') {
    // OpenVZ joins the arguments and runs them with /bin/sh; `-` or nothing reads the script from stdin.
    const cmd = rest.join(' ');
    return cmd && cmd !== '-'
      ? { method: 've.exec', params: { ctid, script: cmd }, print: verb }
      : { method: 've.exec', params: { ctid }, scriptFromStdin: true, print: verb };
  }
  if (verb === 'runscript') {
    if (!rest[0]) throw new UsageError('runscript needs a script file');
    return { method: 've.exec', params: { ctid, scriptFile: rest[0] }, print: 'exec2' };
  }
  if (verb === 'enter' || verb === 'console') return { method: 'console.prepare', params: { ctid }, interactive: verb, print: 'quiet' };
  if (verb.startsWith('snapshot')) return snapshotCall(verb, ctid, rest);
  const { pos, opts } = splitOpts(rest);
  if (pos.length) throw new UsageError(`unexpected argument ${pos[0]}`);
  if (verb === 'import') return parseImport(ctid, opts);
  if (verb === 'reinstall') {
    const params: Record<string, unknown> = { ctid };
    const passwordFor = setOptions(opts, params);
    if (Object.keys(params).some((k) => k !== 'ctid' && k !== 'ostemplate')) throw new UsageError('reinstall takes only --ostemplate and --userpasswd root');
    if (passwordFor && passwordFor !== 'root') throw new UsageError('reinstall sets only the root password');
    return { method: 've.reinstall', params, passwordFor, print: 'status' };
  }
  if (verb === 'create' || verb === 'set') {
    const params: Record<string, unknown> = { ctid };
    const passwordFor = setOptions(opts, params);
    if (verb === 'create') {
      if (!params.ostemplate) throw new UsageError('create needs --ostemplate');
      params.ips = params.ipadd ?? [];
      delete params.ipadd;
      delete params.save;
      if (params.ipdel) throw new UsageError('--ipdel makes no sense for create');
      if (passwordFor && passwordFor !== 'root') throw new UsageError('create sets only the root password');
    } else {
      params.save ??= false;
    }
    return { method: verb === 'create' ? 've.create' : 've.set', params, passwordFor, print: 'status' };
  }
  const method = VERBS[verb];
  if (!method) throw new UsageError(`unknown verb ${verb}`);
  const params: Record<string, unknown> = { ctid };
  for (const [k, v] of opts) {
    if (k === 'fast' && verb === 'stop') params.fast = true;
    else if (k === 'timeout' && (verb === 'stop' || verb === 'restart')) params.timeoutSec = int(v ?? '', k);
    else if (k === 'dumpfile' && (verb === 'chkpnt' || verb === 'restore')) params.file = v;
    else if (k === 'wait' || k === 'force' || k === 'skiplock') continue;
    else throw new UsageError(`unknown option --${k} for ${verb}`);
  }
  // OpenVZ's chkpnt dumps and stops the VE; restore brings it back from the dump.
  if (verb === 'chkpnt') params.stop = true;
  return { method, params, print: verb === 'ubc' ? 'ubc' : 'status' };
}

// OpenVZ 7 prints and takes snapshot ids as {uuid}; braces are optional here.
const uuidArg = (v: string | undefined): string => {
  const id = (v ?? '').replace(/^\{(.*)\}$/, '$1');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new UsageError('--id needs a snapshot UUID (see vzctl snapshot-list)');
  return id.toLowerCase();
};

/** vzctl snapshot | snapshot-list | snapshot-switch | snapshot-delete (OpenVZ 7 names and options). */
function snapshotCall(verb: string, ctid: number, rest: string[]): Call {
  const noHeader = rest.includes('-H');
  const { pos, opts } = splitOpts(rest.filter((a) => a !== '-H'));
  if (pos.length) throw new UsageError(`unexpected argument ${pos[0]}`);
  const o = new Map(opts);
  const allow = (names: string[]) => {
    for (const k of o.keys()) if (!names.includes(k)) throw new UsageError(`unknown option --${k} for ${verb}`);
  };
  switch (verb) {
    case 'snapshot':
      allow(['name']);
      return { method: 've.snapshot.create', params: { ctid, ...(o.has('name') ? { name: o.get('name') ?? '' } : {}) }, print: 'snapshot' };
    case 'snapshot-list':
      allow([]);
      return { method: 've.snapshot.list', params: { ctid }, print: noHeader ? 'snapshot-list-noheader' : 'snapshot-list' };
    case 'snapshot-switch':
      allow(['id', 'skip-resume']);
      return { method: 've.snapshot.rollback', params: { ctid, id: uuidArg(o.get('id')), ...(o.has('skip-resume') ? { start: false } : {}) }, print: 'status' };
    case 'snapshot-delete':
      allow(['id']);
      return { method: 've.snapshot.delete', params: { ctid, id: uuidArg(o.get('id')) }, print: 'status' };
    default:
      throw new UsageError(`unknown verb ${verb}`);
  }
}
