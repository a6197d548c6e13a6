// Simulated nodes in a process of their own (bench/fleet-tasks.ts), so the panel process's CPU
// figure is the panel's: fake agents (test/fixtures/fake-agent.ts) for nodes 0..nodes-1 under dir,
// inventories from simVes. IPC: sends {ready} once listening; answers "stats" with each node's
// power-call counts and most operations at once; "close" closes every agent and exits.
import path from 'node:path';
import { startFakeAgent, type FakeAgent } from '@/test/fixtures/fake-agent';
import { simVes } from './fleet-tasks';

const [dir, nodes, ves, powerMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
if (!dir || !(nodes > 0) || !(ves > 0) || !(powerMs >= 0)) throw new Error('usage: fake-fleet-child.ts <dir> <nodes> <ves> <powerMs>');
const agents: FakeAgent[] = [];

async function main() {
  for (let n = 0; n < nodes; n++) agents.push(await startFakeAgent({ vzroot: path.join(dir, `node${n}`), ves: simVes(n, ves), powerMs }));
  process.send!({ ready: true });
}

process.on('message', (m: string) => {
  if (m === 'stats') {
    const power = (a: FakeAgent) => ['ve.start', 've.stop', 've.restart'].reduce((s, k) => s + (a.calls.get(k) ?? 0), 0);
    process.send!({ stats: agents.map((a) => ({ powerCalls: power(a), maxAtOnce: a.inFlight().max, calls: Object.fromEntries(a.calls) })) });
  } else if (m === 'close') {
    void Promise.all(agents.map((a) => a.close())).finally(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
