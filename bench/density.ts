// Density (issue 15): create and start the seed workload (busybox init, syslogd, crond, httpd) up to
// N VEs through the agent, with raw LXC measured in the same run at the same counts (interleaved:
// one agent VE, one raw VE, so both see the same load). At each checkpoint: start latency p50/p95
// of the VEs since the last checkpoint, host memory per VE, agent RSS and CPU, heartbeat (hello +
// node.info) and ve.list full vs delta (the reconciler's node-side cost), and the first limit hit.
//
// Run (shared box: at most --n 300):   npx tsx bench/density.ts --n 300
// Run 3,000 on an IDLE machine (root, ~8 GiB free RAM, ~30 GiB free under /tmp, 1-2 h):
//   npx tsx bench/density.ts --n 3000 --checkpoints 500,1000,2000,3000
// Past 1,023 ports the agent attaches VEs to overflow bridges linked to its bridge (agents/src/net/
// overflow.ts); each checkpoint lists the bridges and their ports. Raw VEs spread over bridges of
// 1,000 ports (<raw-bridge-prefix>1, 2, ...) and reuse the agent's addresses (separate L2, no routing).
// Options: --net 80 (agent VEs in 10.199.<net>.0/20, .1 on the bridge) --raw-bridge-prefix vzsn;
// --no-raw: agent VEs only (half the load, e.g. to show the overflow bridges past 1,023 VEs).
// Every VE, mount, loop device and bridge it made is removed at the end and on Ctrl-C/SIGTERM.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from '@/agents/src/sys/exec';
import { AgentClient } from '@/server/nodes/client';
import { LocalTransport } from '@/server/nodes/local';
import { freezeAgentBundle, startDaemon } from './lib/agent';
import { cpuMsWithChildren, hostUsedBytes, monitorsPss, MiB, rssBytes } from './lib/memory';
import { ipIn20, p50, p95, rawBridges } from './lib/density';
import { makeBenchNode } from './lib/node';
import { rawCreate, rawStart } from './lib/raw-lxc';
import { parseArgs, round, table, timed } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.n ?? 300);
const CHECKPOINTS = String(args.checkpoints ?? (N <= 300 ? '50,100,200,300' : '500,1000,2000,3000')).split(',').map(Number).filter((c) => c > 0 && c <= N);
if (!CHECKPOINTS.includes(N)) CHECKPOINTS.push(N);
const NET = Number(args.net ?? 80);
const RAW = !args['no-raw'];
const log = (s: string) => process.stderr.write(`${s}\n`);
// Checkpoint reads get 10 min, not the client's 30 s: a full ve.list took 20 s at 500 VEs on a loaded box.
const SLOW = { timeoutMs: 10 * 60_000 };
// 10.199.<NET>.0/20: .1 is the host, VEs from .2 (4,094 addresses).
const ipOf = (i: number) => ipIn20(NET, i);

const node = await makeBenchNode({ maxCtids: 2 * N + 10 });
await run('ip', ['addr', 'add', `10.199.${NET}.1/20`, 'dev', node.bridge], { allowFail: true });
const raw = rawBridges({ lxcpath: node.rawLxcpath, tarball: node.template.tarball }, String(args['raw-bridge-prefix'] ?? 'vzsn'));
node.onCleanup(() => raw.cleanup());
log(`bench node ${node.vzroot}, agent bridge ${node.bridge}; ${(await run('uptime', [])).stdout.trim()}`);

const bundle = await freezeAgentBundle(node);
const daemon = await startDaemon(node, bundle);
const agent = new AgentClient(new LocalTransport({ socket: daemon.socket, agentBin: path.join(bundle.bin, 'vzagent') }), { node: 'density' });
node.onCleanup(() => agent.close());
const agentLxc = path.join(node.vzroot, 'lxc');

type Row = (string | number)[];
const rows: Row[] = [];
const counters: Row[] = [];
const bridgeRows: string[] = [];
const baseUsed = await hostUsedBytes();
const cpu0 = await cpuMsWithChildren(daemon.pid ?? 0);
let firstLimit = '';
let window = { agent: [] as number[], raw: [] as number[] };
let agentUp = 0;
let rawUp = 0;
let cursor: { epoch: string; gen: number } | undefined;

async function checkpoint(count: number): Promise<void> {
  const used = (await hostUsedBytes()) - baseUsed;
  const [, helloMs] = await timed(() => agent.call('hello', {}, SLOW));
  const [info, infoMs] = await timed(() => agent.call('node.info', {}, SLOW));
  bridgeRows.push(`${count}: ${(info.density?.bridges ?? []).map((b) => `${b.name} ${b.vePorts} VEs/${b.ports} ports`).join(', ')}`);
  const [full, fullMs] = await timed(() => agent.call('ve.list', {}, SLOW));
  cursor = { epoch: full.epoch ?? '', gen: full.gen ?? 0 };
  const [delta, deltaMs] = await timed(() => agent.call('ve.list', { since: cursor! }, SLOW));
  const agentMon = await monitorsPss(agentLxc);
  const rawMon = await monitorsPss(node.rawLxcpath);
  const rss = await rssBytes(daemon.pid ?? 0);
  const cpu = (await cpuMsWithChildren(daemon.pid ?? 0)) - cpu0;
  const r = (xs: number[], p: number) => (p === 50 ? p50(xs) : p95(xs));
  rows.push([count, agentUp, r(window.agent, 50), r(window.agent, 95), rawUp, r(window.raw, 50), r(window.raw, 95),
    round(r(window.agent, 95) / r(window.raw, 95)), round(used / MiB / Math.max(1, agentUp + rawUp)),
    round(agentMon.bytes / MiB / Math.max(1, agentMon.count)), round(rawMon.bytes / MiB / Math.max(1, rawMon.count))]);
  counters.push([count, round(rss / MiB, 1), round(cpu / Math.max(1, agentUp)), round(helloMs, 1), round(infoMs, 1), round(fullMs, 1), full.ves.length, round(deltaMs, 1), delta.ves.length]);
  log(`checkpoint ${count}: agent p95 ${r(window.agent, 95)} ms, raw p95 ${r(window.raw, 95)} ms, ${round(used / MiB / Math.max(1, agentUp + rawUp))} MiB/VE, ve.list full ${round(fullMs)} ms / delta ${round(deltaMs)} ms; ${bridgeRows.at(-1)}; ${(await run('uptime', [])).stdout.trim()}`);
  window = { agent: [], raw: [] };
}

const ctids = node.ctids(2 * N);
try {
  for (let i = 0; i < N; i++) {
    const [ca, cr] = [ctids[2 * i], ctids[2 * i + 1]];
    const order = (i % 2 ? ['raw', 'agent'] : ['agent', 'raw']).filter((w) => RAW || w === 'agent');
    for (const which of order) {
      try {
        if (which === 'agent') {
          const input = { ctid: ca, ostemplate: node.template.manifest.name, hostname: `sn${ca}`, ips: [ipOf(i)], gateway: `10.199.${NET}.1`, nameservers: [`10.199.${NET}.1`], start: true };
          const [, ms] = await timed(() => agent.call('ve.create', input, { opId: `sn-density-${randomBytes(6).toString('hex')}` }));
          window.agent.push(ms); agentUp++;
        } else {
          const peer = await raw.peer(i);
          await rawCreate(peer, cr, ipOf(i));
          const [, ms] = await timed(() => rawStart(peer, cr));
          window.raw.push(ms); rawUp++;
        }
      } catch (e) {
        firstLimit ||= `${which} VE #${(which === 'agent' ? agentUp : rawUp) + 1}: ${(e as Error).message.split('\n')[0]}`;
        log(`limit: ${firstLimit}`);
      }
    }
    if (firstLimit && agentUp + rawUp < (RAW ? 2 : 1) * (i + 1) - 4) break; // both paths failing repeatedly: stop
    if (CHECKPOINTS.includes(i + 1)) await checkpoint(i + 1);
  }

  const env = `${(await run('uname', ['-r'])).stdout.trim()}, ${(await run('nproc', [])).stdout.trim()} cores; ${(await run('uptime', [])).stdout.trim()}`;
  console.log(`\n## bench/density.ts --n ${N} (${new Date().toISOString()}; ${env})\n`);
  console.log('agent = one ve.create {start:true} over the agent protocol (what the panel\'s create task sends; latency = create+start);');
  console.log('raw = lxc-start -d of a tarball-untarred container (latency = start only: create is untar + config).\n');
  console.log(table(['VEs each', 'agent up', 'agent p50', 'agent p95', 'raw up', 'raw p50', 'raw p95', 'p95 x', 'MiB/VE box', 'agent mon MiB', 'raw mon MiB'], rows));
  console.log();
  console.log(table(['VEs each', 'agentd RSS MiB', 'agentd CPU ms/VE', 'hello ms', 'node.info ms', 've.list full ms', 'ves', 've.list delta ms', 'changed'], counters));
  console.log(`\nbridges (node.info): ${bridgeRows.join('; ')}`);
  console.log(`first limit hit: ${firstLimit || 'none up to the count asked'}`);
  console.log(`agent bundle: ${bundle.note}`);
} finally {
  log('cleaning up (every VE, mount, loop device and bridge this run made)...');
  await node.cleanup();
}
