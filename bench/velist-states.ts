// Issue 15: ve.list's full answer, old vs new state step in the same run on N running VEs (a few
// frozen): `lxc-ls -f` (asks every container's monitor) vs kernelStates (socket table + freezer
// cgroup files), and the whole full veFeed answer. Run: flock /work/bench.lock npx tsx bench/velist-states.ts --n 100
import { makeTestNode } from '@/agents/src/lxc/test-env';
import { createVe } from '@/agents/src/lxc/create';
import { startVe, suspendVe } from '@/agents/src/lxc/power';
import { lxcList } from '@/agents/src/lxc/lxc-cli';
import { kernelStates } from '@/agents/src/lxc/kernel-states';
import { feedStats, veFeed } from '@/agents/src/lxc/ve-feed';
import { withUndo } from '@/agents/src/sys/undo';
import { vePaths } from '@/agents/src/sys/paths';
import { run } from '@/agents/src/sys/exec';
import { median, parseArgs, round, timed } from './lib/stats';

const N = Number(parseArgs(process.argv.slice(2)).n ?? 100);
const node = await makeTestNode({ ctidBase: 78000, bridgePrefix: 'vzh178', net: '10.199.178', tmpPrefix: '/tmp/h178-bench-' });
const stop = () => node.cleanup().finally(() => process.exit(1));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
try {
  const lxcpath = vePaths(node.vzroot, 0).lxcpath;
  const common = { ostemplate: 'busybox', ram: 64 * 1024 * 1024, numproc: 64, diskspace: 64 * 1024 * 1024, diskinodes: 8192 };
  for (let i = 0; i < N; i++) {
    const ctid = 78000 + i;
    await withUndo((u) => createVe(node, { ...common, ctid, hostname: `h178-${ctid}`, ips: [`10.199.178.${10 + (i % 240)}/24`] }, u));
    await withUndo((u) => startVe(node, ctid, u));
    if (i % 20 === 0) await suspendVe(node, ctid);
    if (i % 25 === 0) process.stderr.write(`${i + 1} running\n`);
  }
  const rows: Record<string, number[]> = { lxcLs: [], kernel: [], full: [] };
  for (let k = 0; k < 5; k++) {
    const [ls, lsMs] = await timed(() => lxcList(lxcpath));
    const [ks, kMs] = await timed(() => kernelStates(lxcpath));
    const [full, fullMs] = await timed(() => veFeed(node));
    rows.lxcLs.push(lsMs); rows.kernel.push(kMs); rows.full.push(fullMs);
    const same = [...ls].every(([c, s]) => (s === 'STOPPED' ? !ks!.states.has(c) : ks!.states.get(c) === s));
    if (!same || ks!.unsure.length || full.ves.length !== N) throw new Error(`states differ: ${JSON.stringify({ same, unsure: ks!.unsure, n: full.ves.length })}`);
  }
  const f = (xs: number[]) => `${round(median(xs), 1)} ms (${round(Math.min(...xs), 1)}-${round(Math.max(...xs), 1)})`;
  console.log(`N=${N} running (${Math.ceil(N / 20)} frozen), 5 runs, median (min-max):`);
  console.log(`  lxc-ls -f (old state step):         ${f(rows.lxcLs)}`);
  console.log(`  kernelStates (new state step):      ${f(rows.kernel)}`);
  console.log(`  veFeed full (new, confs + states):  ${f(rows.full)}; lxc-ls runs ${feedStats.lxcLs}, lxc-info runs ${feedStats.lxcInfo}`);
  console.log(`  ${(await run('uptime', [])).stdout.trim()}`);
} finally {
  await node.cleanup();
}
