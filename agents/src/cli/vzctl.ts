// vzctl on the node: OpenVZ's verbs and options, each turned into one call to vzagentd.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { exitCodeOf, type MethodName } from '@/agents/protocol';
import { loadConfig } from '../daemon/config';
import { isAgentError } from '../daemon/errors';
import { callDaemon, wantsHelp } from './daemon-client';
import { formatImportPlan, formatSnapshots, formatUbc, type ImportPlanLike } from './format';
import { parseVzctl, UsageError, type Call } from './vzctl-args';

const USAGE = `usage: vzctl [--vzroot DIR] [--socket PATH] VERB CTID [options]
  create CTID --ostemplate NAME [--hostname H] [--ipadd IP/PREFIX]... [--nameserver IP]... [--ram 256M] [--swap 0]
             [--diskspace 2G] [--diskinodes N] [--numproc N] [--cpuunits N] [--cpulimit N] [--cpus N] [--onboot yes|no]
             [--userpasswd root]   (password read from stdin)
  start|stop [--fast] [--timeout S]|restart|status|suspend|resume|destroy|mount|umount CTID
  set CTID [create options] [--ipdel IP] [--userpasswd USER] [--save]
  reinstall CTID [--ostemplate NAME] [--userpasswd root]
  exec|exec2 CTID COMMAND...    (no COMMAND or '-': script from stdin)
  runscript CTID FILE · ubc CTID
  import CTID --conf /etc/vz/conf/CTID.conf [--private DIR] [--ipadd IP/PREFIX]... [--gateway IP] [--start] [--dry-run]
                  an OpenVZ VE (simfs) as a new VE; --dry-run prints every mapping and what is not carried
  enter CTID      a root shell in the running VE (exit leaves it)
  console CTID    the VE's console (/dev/console); needs a terminal; Ctrl-a q detaches
  snapshot CTID [--name NAME]                   a local restore point of the VE's disk (brief freeze if running)
  snapshot-list CTID [-H]                        its snapshots: UUID, date, name
  snapshot-switch CTID --id UUID [--skip-resume] roll the disk back to a snapshot (stop, switch, start if it ran)
  snapshot-delete CTID --id UUID                 remove a snapshot
  --netif_add/--netif_del are not supported: every VE has one interface, eth0, a veth on the
  node bridge; change its addresses with --ipadd/--ipdel`;

// --clear-env leaves the VE's shell no PATH of its own.
const VE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const readStdin = () => readFileSync(0, 'utf8');

function prepare(call: Call): Record<string, unknown> {
  const params = { ...call.params };
  if (call.scriptFromStdin) params.script = readStdin();
  if (typeof params.scriptFile === 'string') {
    params.script = readFileSync(params.scriptFile, 'utf8');
    delete params.scriptFile;
  }
  if (call.passwordFor) {
    // First line of stdin; never argv, never echoed.
    const password = readStdin().split('\n')[0];
    if (call.method === 've.create' || call.method === 've.reinstall') params.password = password;
    else params.userpasswd = { user: call.passwordFor, password };
  }
  return params;
}

function print(call: Call, ctid: number, result: Record<string, unknown>): number {
  if (call.print === 'exec' || call.print === 'exec2') {
    process.stdout.write(String(result.stdout ?? ''));
    process.stderr.write(String(result.stderr ?? ''));
    if (result.timedOut) process.stderr.write('vzctl: command timed out\n');
    return call.print === 'exec2' ? Number(result.exitCode) : Number(result.exitCode) === 0 ? 0 : 1;
  }
  if (call.print === 'import') {
    const plan = (call.method === 've.import' ? result.plan : result) as ImportPlanLike;
    process.stdout.write(formatImportPlan(plan));
    if (call.method === 've.import') process.stdout.write(`CT ${ctid} imported (${String((result.ve as { status: string }).status)})\n`);
    return plan.problems.length && call.method !== 've.import' ? 1 : 0;
  }
  if (call.print === 'snapshot') {
    process.stdout.write(`Snapshot {${String(result.id)}} of CT ${ctid} has been successfully created (${String(result.copyMode)} copy, VE paused ${String(result.pauseMs)} ms)\n`);
    return 0;
  }
  if (call.print === 'snapshot-list' || call.print === 'snapshot-list-noheader') {
    process.stdout.write(formatSnapshots(result.snapshots as never, call.print === 'snapshot-list'));
    return 0;
  }
  if (call.print === 'ubc') {
    process.stdout.write(formatUbc(ctid, result.rows as never));
    return 0;
  }
  if (call.method === 've.status') {
    const st = result as { exists: boolean; status: string; mounted: boolean };
    process.stdout.write(`CTID ${ctid} ${st.exists ? 'exist' : 'deleted'} ${st.mounted ? 'mounted' : 'unmounted'} ${st.status}\n`);
  } else if (call.method === 've.set') {
    const r = result as { applied: string[]; pending: string[]; saved: boolean };
    if (r.pending.length) process.stdout.write(`Applied at next start: ${r.pending.join(', ')}\n`);
    process.stdout.write(r.saved ? 'Saved parameters for CT ' + ctid + '\n' : 'WARNING: Settings were not saved (use --save)\n');
  } else {
    process.stdout.write(`CT ${ctid}: ${call.method.replace('ve.', '')} done${typeof result.status === 'string' ? ` (${result.status})` : ''}\n`);
  }
  return 0;
}

/** The daemon has checked the VE runs; the terminal is attached here, in vzctl's own process. */
function attach(how: 'enter' | 'console', ctid: number, lxcpath: string): number {
  const r = how === 'enter'
    ? spawnSync('lxc-attach', ['-n', String(ctid), '-P', lxcpath, '--clear-env', '--set-var', `TERM=${process.env.TERM ?? 'xterm'}`, '--set-var', `PATH=${VE_PATH}`, '--set-var', 'HOME=/root', '--', '/bin/sh', '-l'], { stdio: 'inherit' })
    // lxc.tty.max is 0: tty 0 is the VE's /dev/console.
    : spawnSync('lxc-console', ['-n', String(ctid), '-P', lxcpath, '-t', '0', '-e', 'a'], { stdio: 'inherit' });
  if (r.error) process.stderr.write(`vzctl: cannot run ${how === 'enter' ? 'lxc-attach' : 'lxc-console'}: ${r.error.message}\n`);
  return r.status ?? 1;
}

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig(argv);
  const valueFlags = new Set(['--socket', '--vzroot', '--bridge']);
  const args = argv.filter((a, i) => !valueFlags.has(a) && !valueFlags.has(argv[i - 1]) && !/^--(socket|vzroot|bridge)=/.test(a));
  let call: Call;
  try {
    call = parseVzctl(args);
  } catch (e) {
    if (isAgentError(e)) {
      process.stderr.write(`vzctl: ${e.message}\n`);
      return exitCodeOf(e.code);
    }
    process.stderr.write(`vzctl: ${(e as Error).message}\n${USAGE}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
  const ctid = Number(args[1]);
  if (call.interactive === 'console' && !process.stdin.isTTY) {
    process.stderr.write('vzctl: console needs a terminal on stdin (run it from an interactive shell; for scripts use vzctl exec)\n');
    return 2;
  }
  try {
    const result = await callDaemon(config.socket, call.method as MethodName, prepare(call) as never, {
      opId: `vzctl-${randomBytes(6).toString('hex')}`,
      onNotification: (n) => { if (n.method === 'progress' && n.params.message) process.stderr.write(`${n.params.message}\n`); },
    });
    if (call.interactive) return attach(call.interactive, ctid, (result as { lxcpath: string }).lxcpath);
    return print(call, ctid, result as Record<string, unknown>);
  } catch (e) {
    const code = isAgentError(e) ? e.code : 'INTERNAL';
    process.stderr.write(`vzctl: ${(e as Error).message}\n`);
    return exitCodeOf(code);
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
