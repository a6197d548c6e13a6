// N create+starts serial and k-parallel for raw LXC, the agent, and the full prototype (template
// image copied sparse + kept mounted + ONE nft -f port policy), in ABC-CBA order.
import path from 'node:path';
import { applyPortPolicy, removePortPolicy } from '@/agents/src/net/antispoof';
import { run } from '@/agents/src/sys/exec';
import type { AgentPath } from './agent';
import { runBatch, type BatchResult, type PathOps } from './batch';
import { protoCreate, protoDestroy, protoStart, type ProtoOptions, type TemplateImage } from './fast-image';
import { childrenMatching, cpuMsWithChildren } from './memory';
import type { BenchNode } from './node';
import { rawCreate, rawDestroy, rawStart, rawStop, type RawPeer } from './raw-lxc';

const pidOf = async (lxcpath: string, c: number) => Number((await run('lxc-info', ['-n', String(c), '-P', lxcpath, '-pH'], { allowFail: true })).stdout.trim());

export async function scalingBatches(node: BenchNode, agent: AgentPath, peer: RawPeer, tpl: TemplateImage, n: number, par: number,
  log: (s: string) => void): Promise<BatchResult[]> {
  // The port-policy table exists before the prototype's first one-shot nft run (the agent would keep it).
  await applyPortPolicy(node.bridge, { veth: 'veth1', mac: '02:56:00:00:00:01', ips: [] });
  await removePortPolicy(node.bridge, 'veth1');
  const self = () => cpuMsWithChildren('self');
  const bridges = await childrenMatching(process.pid, 'vzagent');
  const agentLxc = path.join(node.vzroot, 'lxc');
  const o: ProtoOptions = { directIo: false, keepMounted: true, nftBridge: node.bridge };
  const raw: PathOps = {
    name: 'raw', lxcpath: peer.lxcpath, create: (c, ip) => rawCreate(peer, c, ip), start: (c) => rawStart(peer, c),
    stop: (c) => rawStop(peer, c), destroy: (c) => rawDestroy(peer, c), initPid: (c) => pidOf(peer.lxcpath, c), cpuMs: self,
  };
  const ips = new Map<number, string>();
  const proto: PathOps = {
    ...raw,
    create: async (c, ip) => { ips.set(c, ip); await protoCreate(peer, tpl, c, ip, o); },
    start: (c) => protoStart(peer, c, ips.get(c)!, o),
    stop: async (c) => void (await run('lxc-stop', ['-n', String(c), '-P', peer.lxcpath, '-k'], { allowFail: true })),
    destroy: (c) => protoDestroy(peer, c, node.bridge),
  };
  const ag: PathOps = {
    name: 'agent', lxcpath: agentLxc, daemonPid: agent.daemon.pid,
    create: (c, ip) => agent.create(c, ip), start: (c) => agent.start(c), createStarted: (c, ip) => agent.createStarted(c, ip),
    stop: (c) => agent.stop(c), destroy: (c) => agent.destroy(c), initPid: (c) => pidOf(agentLxc, c),
    cpuMs: async () => {
      let sum = await self();
      for (const pid of [agent.daemon.pid ?? 0, ...bridges]) if (pid) sum += await cpuMsWithChildren(pid);
      return sum;
    },
  };
  const plan: [string, PathOps, number][] = [
    ['raw', raw, 1], ['agent', ag, 1], ['proto', proto, 1], ['proto', proto, par], ['agent', ag, par], ['raw', raw, par],
  ];
  const out: BatchResult[] = [];
  for (const [label, p, k] of plan) {
    const b = await runBatch(p, node.ctids(n), node.ip, k, 4);
    out.push({ ...b, path: label as BatchResult['path'] });
    log(`${label} x${n} at ${k}: ${(b.totalMs / 1000).toFixed(2)} s, cpu ${b.cpuMsPerVe.toFixed(0)} ms/VE`);
  }
  return out;
}
