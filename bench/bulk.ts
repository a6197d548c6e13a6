// Bulk exec (issue 6): `true` and a short script in N VEs across two nodes (two vzagentd with separate
// vzroots on this machine) via bulk.exec (one call per node, VEs in parallel on each agent) vs a serial
// shell loop of lxc-attach vs `xargs -P 8 lxc-attach`, on the same VEs, in ONE run, rounds alternating.
// Run: npx tsx bench/bulk.ts [--n 50] [--rounds 3] [--par 8] [--ctid-base 40000] [--bridge-prefix vzrt] [--tmp-prefix /tmp/vz-rt-]
// (the last three keep a run inside one engineer's names: ctids ctid-base..+N-1, bridges <prefix><4 hex>)
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '@/agents/src/sys/exec';
import { makeTestNode, type TestNode } from '@/agents/src/lxc/test-env';
import { AgentClient } from '@/server/nodes/client';
import { LocalTransport } from '@/server/nodes/local';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { median, parseArgs, pool, round, table, timed } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.n ?? 50);
const ROUNDS = Number(args.rounds ?? 3);
const PAR = Number(args.par ?? 8);
const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
const names = { bridgePrefix: str(args['bridge-prefix']), tmpPrefix: str(args['tmp-prefix']) };
const MiB = 2 ** 20;
const SCRIPT = 'for i in 1 2 3; do echo line $i; done; cat /etc/hostname; test -d /tmp && echo ok';
const log = (s: string) => process.stderr.write(`${s}\n`);

interface BNode { tn: TestNode; daemon?: LocalDaemon; agent?: AgentClient; lxcpath: string; ctids: number[] }
const nodes: BNode[] = [];
let cleaned: Promise<void> | undefined;
const cleanup = () => (cleaned ??= (async () => {
  for (const n of nodes) {
    await n.agent?.close().catch(() => undefined);
    await n.daemon?.stop('SIGKILL').catch(() => undefined);
    await n.tn.cleanup().catch((e) => log(`cleanup: ${(e as Error).message}`));
  }
})());
let signalled = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (signalled) return; // tsx relays Ctrl-C a second time
    signalled = true;
    log(`\n${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

const uptime = (await run('uptime', [])).stdout.trim();
try {
  const base = args['ctid-base'] !== undefined ? Number(args['ctid-base']) : randomInt(40_000, 49_999 - N);
  for (let k = 0; k < 2; k++) {
    const tn = await makeTestNode(names);
    const n: BNode = { tn, lxcpath: path.join(tn.vzroot, 'lxc'), ctids: [] };
    nodes.push(n);
    n.daemon = await ensureLocalDaemon({ vzroot: tn.vzroot, bridge: tn.bridge });
    n.agent = new AgentClient(new LocalTransport({ socket: n.daemon.socket }), { node: `bench-bulk-${k}` });
  }
  for (let i = 0; i < N; i++) nodes[i % 2].ctids.push(base + i);
  log(`creating ${N} VEs on two nodes through the agents (untimed setup); ${uptime}`);
  // A create that fails (seen once: a loop device's superblock unreadable under parallel load) unwinds; try again.
  const create = async (n: BNode, ctid: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await n.agent!.call('ve.create', {
          ctid, ostemplate: 'busybox', hostname: `b${ctid}`, ram: 64 * MiB, numproc: 64, diskspace: 64 * MiB, diskinodes: 4096, start: true,
        }, { opId: `bench-create-${ctid}-${randomBytes(3).toString('hex')}` });
      } catch (e) {
        if (attempt >= 3) throw e;
        log(`create ${ctid} failed (${(e as Error).message.split('\n')[0]}); retrying`);
      }
    }
  };
  await Promise.all(nodes.map((n) => pool(n.ctids, 4, (ctid) => create(n, ctid))));

  // "-P <lxcpath> -n <ctid>" per VE, both nodes interleaved (the same set every method runs over).
  const targets = Array.from({ length: N }, (_, i) => ({ lxcpath: nodes[i % 2].lxcpath, ctid: base + i }));
  const inner = (what: 'true' | 'script') => (what === 'true' ? ['true'] : ['/bin/sh', '-c', SCRIPT]);
  const serial = async (what: 'true' | 'script') => {
    // A real shell loop, as an admin would type it (the script travels on stdin to sh, never in argv).
    const loop = what === 'true'
      ? 'while read p c; do lxc-attach -P "$p" -n "$c" -- true || exit 1; done'
      : `while read p c; do lxc-attach -P "$p" -n "$c" -- /bin/sh -c '${SCRIPT}' >/dev/null || exit 1; done`;
    const r = await run('sh', ['-c', `${loop} <<EOF\n${targets.map((t) => `${t.lxcpath} ${t.ctid}`).join('\n')}\nEOF`], { allowFail: true });
    if (r.code !== 0) throw new Error(`serial loop: ${r.code} ${r.stderr.slice(-300)}`);
  };
  const xargs = async (what: 'true' | 'script') => {
    const q = what === 'true' ? 'true' : `/bin/sh -c '${SCRIPT}'`;
    const input = targets.map((t) => `-P ${t.lxcpath} -n ${t.ctid} -- ${q}`).join('\n') + '\n';
    const r = await run('xargs', ['-P', String(PAR), '-L', '1', 'lxc-attach'], { input, allowFail: true });
    if (r.code !== 0) throw new Error(`xargs: ${r.code} ${r.stderr.slice(-300)}`);
  };
  const bulk = (perNode: number) => async (what: 'true' | 'script') => {
    const res = await Promise.all(nodes.map((n) => n.agent!.call('bulk.exec', {
      items: n.ctids.map((ctid) => ({ ctid })), concurrency: perNode, timeoutSec: 60,
      ...(what === 'true' ? { command: inner('true') } : { script: `${SCRIPT}\n` }),
    }, { opId: `bench-bulk-${randomBytes(6).toString('hex')}` })));
    const bad = res.flatMap((r) => r.items).filter((i) => i.state !== 'ok');
    if (bad.length) throw new Error(`bulk.exec: ${bad.length} VEs not ok, e.g. ${JSON.stringify(bad[0])}`);
  };
  const methods: Record<string, (w: 'true' | 'script') => Promise<void>> = {
    'lxc-attach, serial shell loop': serial,
    [`xargs -P ${PAR} lxc-attach`]: xargs,
    [`bulk.exec, ${PAR / 2}/node (${PAR} in flight)`]: bulk(PAR / 2),
    [`bulk.exec, ${PAR}/node (${2 * PAR} in flight)`]: bulk(PAR),
  };
  const totals: Record<string, number[]> = {};
  for (const what of ['true', 'script'] as const) {
    for (let r = 0; r <= ROUNDS; r++) {
      const names = Object.keys(methods);
      for (const k of r % 2 ? names.reverse() : names) {
        const [, ms] = await timed(() => methods[k](what));
        if (r > 0) (totals[`${what}: ${k}`] ??= []).push(ms); // round 0 warms caches
      }
      if (r > 0) log(`${what} round ${r}/${ROUNDS} done`);
    }
  }
  const rows: (string | number)[][] = [];
  for (const what of ['true', 'script']) {
    const ser = median(totals[`${what}: lxc-attach, serial shell loop`]);
    const xa = median(totals[`${what}: xargs -P ${PAR} lxc-attach`]);
    for (const k of Object.keys(methods)) {
      const m = median(totals[`${what}: ${k}`]);
      rows.push([`${what}: ${k}`, round(m), round(ser / m, 2), round(m / xa, 2)]);
    }
  }
  console.log(`\nbulk: ${N} VEs on two nodes (${N / 2} each), median of ${ROUNDS} rounds; script = ${JSON.stringify(SCRIPT)}\nmachine: ${uptime}\n`);
  console.log(table(['method', 'total ms', 'serial / this (speed-up)', 'this / xargs'], rows));
  const date = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const out = path.join(import.meta.dirname, 'results', `bulk-${N}-${date}.json`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ bench: 'bulk', date: new Date().toISOString(), command: `npx tsx bench/bulk.ts ${process.argv.slice(2).join(' ')}`.trim(), uptime, n: N, rounds: ROUNDS, par: PAR, script: SCRIPT, totalsMs: totals }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
} finally {
  await cleanup();
}
