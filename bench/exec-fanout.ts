// `true` in N running VEs (issue 6): serial lxc-attach loop vs `xargs -P 8 lxc-attach` vs the agent's
// ve.exec over RPC (serial and 8 in flight), all on the same agent-created VEs, in ONE run.
// Run: npx tsx bench/exec-fanout.ts [--n 50] [--rounds 3] [--par 8]
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '@/agents/src/sys/exec';
import { openAgentPath } from './lib/agent';
import { makeBenchNode } from './lib/node';
import { median, parseArgs, pool, round, table, timed } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.n ?? 50);
const ROUNDS = Number(args.rounds ?? 3);
const PAR = Number(args.par ?? 8);
const SINGLES = 20;
const log = (s: string) => process.stderr.write(`${s}\n`);
const uptime = (await run('uptime', [])).stdout.trim();
const node = await makeBenchNode({ maxCtids: N + 2 });
try {
  const agent = await openAgentPath(node);
  if (agent.mode !== 'rpc' || !agent.exec) throw new Error('the agent does not serve ve.exec over RPC; nothing to compare');
  const exec = agent.exec;
  const lxcpath = path.join(node.vzroot, 'lxc');
  const ctids = node.ctids(N);
  log(`creating ${N} VEs through the agent (untimed setup); ${uptime}`);
  await pool(ctids, 4, (c, i) => agent.createStarted(c, node.ip(i)));

  const attach = async (c: number) => {
    const r = await run('lxc-attach', ['-n', String(c), '-P', lxcpath, '--', 'true'], { allowFail: true });
    if (r.code !== 0) throw new Error(`lxc-attach ${c}: ${r.code} ${r.stderr.trim()}`);
  };
  const viaAgent = async (c: number) => {
    const r = await exec(c, ['true']);
    if (r.exitCode !== 0) throw new Error(`ve.exec ${c}: exit ${r.exitCode}`);
  };
  const methods: Record<string, () => Promise<unknown>> = {
    'lxc-attach, serial loop': () => pool(ctids, 1, attach),
    [`xargs -P ${PAR} lxc-attach`]: async () => {
      const r = await run('xargs', ['-P', String(PAR), '-I', '{}', 'lxc-attach', '-n', '{}', '-P', lxcpath, '--', 'true'], { input: ctids.join('\n') + '\n', allowFail: true });
      if (r.code !== 0) throw new Error(`xargs: ${r.code} ${r.stderr.trim().slice(-300)}`);
    },
    'agent ve.exec, serial': () => pool(ctids, 1, viaAgent),
    [`agent ve.exec, ${PAR} in flight`]: () => pool(ctids, PAR, viaAgent),
  };
  const totals: Record<string, number[]> = Object.fromEntries(Object.keys(methods).map((k) => [k, []]));
  for (let r = 0; r <= ROUNDS; r++) {
    const names = Object.keys(methods);
    for (const k of r % 2 ? names.reverse() : names) {
      const [, ms] = await timed(methods[k]);
      if (r > 0) totals[k].push(ms);
    }
    if (r > 0) log(`round ${r}/${ROUNDS}: ${Object.entries(totals).map(([k, v]) => `${k} ${round(v.at(-1)! / 1000)} s`).join(', ')}`);
  }
  const single = { attach: [] as number[], agent: [] as number[] };
  for (let i = 0; i < SINGLES; i++) {
    single.attach.push((await timed(() => attach(ctids[i % N])))[1]);
    single.agent.push((await timed(() => viaAgent(ctids[i % N])))[1]);
  }
  await agent.close();

  const base = median(totals['lxc-attach, serial loop']);
  const rows = Object.entries(totals).map(([k, v]) => [k, round(median(v) / 1000, 2), round(median(v) / base, 2)]);
  console.log(`\nexec-fanout: \`true\` in ${N} VEs, median of ${ROUNDS} rounds; agent ${agent.mode}; ${agent.bundle}\nmachine: ${uptime}\n`);
  console.log(table(['method', 'total s', 'x serial lxc-attach'], rows));
  console.log(`\none exec of \`true\`, median of ${SINGLES}: lxc-attach ${round(median(single.attach), 1)} ms, agent ve.exec ${round(median(single.agent), 1)} ms (${round(median(single.agent) / median(single.attach), 2)}x)`);
  const date = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const out = path.join(import.meta.dirname, 'results', `exec-fanout-${date}.json`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({
    bench: 'exec-fanout', date: new Date().toISOString(), command: `npx tsx bench/exec-fanout.ts ${process.argv.slice(2).join(' ')}`.trim(),
    uptime, n: N, rounds: ROUNDS, par: PAR, agentBundle: agent.bundle, totalsMs: totals, singleMs: single,
  }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
} finally {
  await node.cleanup();
}
