// Where the agent's create+start time goes, and what a faster storage path would gain, in ONE run:
// (A) the primitives the agent runs per VE, timed alone; (B) create+start end to end for raw LXC,
// the agent (RPC), and the bench-only prototype (template ext4 image copied sparse, kept mounted,
// buffered or direct-I/O loop), with each VE's memory cgroup after start.
// (D) N create+starts serial and parallel for raw, agent and the full prototype (+ one nft -f).
// Run: npx tsx bench/profile-agent.ts [--reps 7] [--n 50] [--par 4]   (--n 0 skips D)
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { applyPortPolicy, removePortPolicy } from '@/agents/src/net/antispoof';
import { ensureBridge } from '@/agents/src/net/bridge';
import { createImage, mountImage, unmountImage } from '@/agents/src/storage/image';
import { run } from '@/agents/src/sys/exec';
import { Undo } from '@/agents/src/sys/undo';
import { openAgentPath } from './lib/agent';
import { buildTemplateImage, protoCreate, protoDestroy, protoStart, type ProtoOptions } from './lib/fast-image';
import { cgroupMemoryBytes, MiB } from './lib/memory';
import { makeBenchNode } from './lib/node';
import { rawCreate, rawDestroy, rawInitPid, rawStart, rawStop, type RawPeer } from './lib/raw-lxc';
import { traceExecs } from './lib/trace';
import { scalingBatches } from './lib/scaling';
import { median, parseArgs, round, table, timed } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const REPS = Number(args.reps ?? 7);
const N = Number(args.n ?? 50);
const PAR = Number(args.par ?? 4);
const GiB = 1024 * MiB;
const log = (s: string) => process.stderr.write(`${s}\n`);
const uptime = (await run('uptime', [])).stdout.trim();
const node = await makeBenchNode({ maxCtids: 4 * (REPS + 1) + 6 * N + 8 });
try {
  const agent = await openAgentPath(node);
  log(`agent path ${agent.mode}; ${agent.bundle}; ${uptime}`);
  const peer: RawPeer = { lxcpath: node.rawLxcpath, tarball: node.template.tarball, bridge: node.bridge };
  const work = path.join(node.vzroot, 'profile');
  await mkdir(work, { recursive: true });

  // (A) primitives
  const prim = new Map<string, number[]>();
  const rec = async (k: string, fn: () => Promise<unknown>) => {
    const [, ms] = await timed(fn);
    prim.set(k, [...(prim.get(k) ?? []), ms]);
  };
  const tplImg = await buildTemplateImage(node.template.tarball, work, 2 * GiB, 200_000);
  for (let r = 0; r < REPS; r++) {
    const img = path.join(work, `a${r}.img`);
    const mnt = path.join(work, `m${r}`);
    const undo = new Undo();
    await rec('spawn `true` (process start floor)', () => run('true', []));
    await rec('lxc-info -sH', () => run('lxc-info', ['-n', '1', '-P', node.rawLxcpath, '-sH'], { allowFail: true }));
    await rec('agent: truncate + mkfs.ext4 2 GiB, 200k inodes', () => createImage(img, 2 * GiB, 200_000, undo));
    await rec('agent: dumpe2fs -h (pending-grow check at mount)', () => run('dumpe2fs', ['-h', img], { allowFail: true }));
    await rec('agent: losetup + mount (mountImage)', () => mountImage(img, mnt, undo));
    await rec('agent: untar template into the image', () => run('tar', ['-xzpf', node.template.tarball, '--numeric-owner', '-C', mnt]));
    await rec('agent: umount + losetup -d (unmountImage)', () => unmountImage(img, mnt));
    await rec('agent: nft port policy apply (4 nft runs)', () => applyPortPolicy(node.bridge, { veth: `veth${29999 - r}`, mac: '02:56:00:00:00:01', ips: ['10.199.9.250/24'] }));
    await rec('agent: nft port policy remove (2 nft runs)', () => removePortPolicy(node.bridge, `veth${29999 - r}`));
    await rec('agent: ensureBridge (ip link show + set up)', () => ensureBridge(node.bridge));
    const dir = path.join(work, `raw${r}`);
    await mkdir(dir);
    await rec('raw: untar template into a host directory', () => run('tar', ['-xzpf', node.template.tarball, '--numeric-owner', '-C', dir]));
    await rec('proto: cp --sparse template image (2 GiB, ~3 MiB data)', () => run('cp', ['--sparse=always', tplImg.image, path.join(work, `c${r}.img`)]));
    await rm(dir, { recursive: true, force: true });
    await rm(img, { force: true });
    await rm(path.join(work, `c${r}.img`), { force: true });
  }
  log('primitives done');

  // (B) end to end, interleaved
  type Flavour = 'raw' | 'agent' | 'proto-buffered' | 'proto-direct-io';
  const flavours: Flavour[] = ['raw', 'agent', 'proto-buffered', 'proto-direct-io'];
  const e2e: Record<Flavour, { ms: number[]; cgroup: number[]; phases: Record<string, number>[] }> = {
    raw: { ms: [], cgroup: [], phases: [] }, agent: { ms: [], cgroup: [], phases: [] },
    'proto-buffered': { ms: [], cgroup: [], phases: [] }, 'proto-direct-io': { ms: [], cgroup: [], phases: [] },
  };
  const agentLxc = path.join(node.vzroot, 'lxc');
  for (let r = 0; r <= REPS; r++) {
    const ctids = node.ctids(flavours.length);
    const order = r % 2 ? [...flavours].reverse() : flavours;
    for (const f of order) {
      const c = ctids[flavours.indexOf(f)];
      const o: ProtoOptions = { directIo: f === 'proto-direct-io', keepMounted: true };
      let phases: Record<string, number> = {};
      const [, ms] = await timed(async () => {
        if (f === 'raw') { await rawCreate(peer, c, node.ip(0)); await rawStart(peer, c); }
        else if (f === 'agent') phases = Object.fromEntries((await agent.createStarted(c, node.ip(0))).map(([t, , m]) => [m, t]));
        else phases = { ...(await protoCreate(peer, tplImg, c, node.ip(0), o)), ...(await protoStart(peer, c, node.ip(0), o)) };
      });
      await new Promise((res) => setTimeout(res, 1500));
      const pid = f === 'agent'
        ? Number((await run('lxc-info', ['-n', String(c), '-P', agentLxc, '-pH'])).stdout.trim())
        : await rawInitPid(peer, c);
      const cg = await cgroupMemoryBytes(pid);
      if (f === 'raw') { await rawStop(peer, c); await rawDestroy(peer, c); }
      else if (f === 'agent') { await agent.stop(c); await agent.destroy(c); }
      else await protoDestroy(peer, c);
      if (r === 0) continue; // warm-up
      e2e[f].ms.push(ms); e2e[f].cgroup.push(cg); e2e[f].phases.push(phases);
    }
    log(`e2e ${r}/${REPS}: ${flavours.map((f) => `${f} ${round(e2e[f].ms.at(-1) ?? NaN, 0)}`).join(', ')}`);
  }
  // (C) programs executed for one create+start (strace -f on the daemon / on this process).
  const [ct1, ct2] = node.ctids(2);
  const execAgent = await traceExecs(agent.daemon.pid!, path.join(work, 'trace-agent'), () => agent.createStarted(ct1, node.ip(0)));
  await agent.stop(ct1); await agent.destroy(ct1);
  const execRaw = await traceExecs(process.pid, path.join(work, 'trace-raw'), async () => { await rawCreate(peer, ct2, node.ip(0)); await rawStart(peer, ct2); });
  await rawStop(peer, ct2); await rawDestroy(peer, ct2);
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  // (D) N serial and PAR-parallel: raw, agent, full prototype.
  const scaling = N > 0 ? await scalingBatches(node, agent, peer, tplImg, N, PAR, log) : [];
  await agent.close();

  const primRows = [...prim].map(([k, v]) => [k, round(median(v), 1), round(Math.min(...v), 1)]);
  const rawMs = median(e2e.raw.ms);
  const e2eRows = flavours.map((f) => [f, round(median(e2e[f].ms), 1), round(median(e2e[f].ms) / rawMs, 2), round(median(e2e[f].cgroup) / MiB, 2)]);
  const phaseRows = (['proto-buffered', 'proto-direct-io'] as Flavour[]).flatMap((f) =>
    Object.keys(e2e[f].phases[0] ?? {}).map((k) => [`${f}: ${k}`, round(median(e2e[f].phases.map((p) => p[k])), 1)]));
  console.log(`\nprofile-agent: reps=${REPS}; agent path ${agent.mode}; ${agent.bundle}\nmachine: ${uptime}\n`);
  console.log('(A) primitives, ms\n' + table(['step', 'median', 'min'], primRows));
  console.log(`\ntemplate image built once (untar + mke2fs -d): ${round(tplImg.buildMs, 0)} ms`);
  console.log('\n(B) create+start of one VE, end to end\n' + table(['path', 'median ms', 'x raw', 'VE cgroup MiB'], e2eRows));
  const fmt = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`\n(C) programs run for one create+start (strace -f): agent ${sum(execAgent)} [${fmt(execAgent)}]; raw ${sum(execRaw)} [${fmt(execRaw)}]`);
  console.log('\nprototype phases, ms (median)\n' + table(['phase', 'ms'], phaseRows));
  if (scaling.length) {
    const tot = (l: string, k: number) => scaling.find((b) => b.path === l && b.concurrency === k)!;
    const sRows = ['raw', 'agent', 'proto'].map((l) => [l,
      round(tot(l, 1).totalMs / 1000, 2), round(tot(l, 1).totalMs / tot('raw', 1).totalMs, 2), round(tot(l, 1).cpuMsPerVe, 0),
      round(tot(l, PAR).totalMs / 1000, 2), round(tot(l, PAR).totalMs / tot('raw', PAR).totalMs, 2), round(tot(l, PAR).cpuMsPerVe, 0)]);
    console.log(`\n(D) create+start of ${N} VEs (proto = template image copy + kept mount + one nft -f)\n` +
      table(['path', 'serial s', 'x raw', 'cpu ms/VE', `${PAR} parallel s`, 'x raw', 'cpu ms/VE'], sRows));
  }
  const date = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const out = path.join(import.meta.dirname, 'results', `profile-agent-${date}.json`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({
    bench: 'profile-agent', date: new Date().toISOString(), command: `npx tsx bench/profile-agent.ts ${process.argv.slice(2).join(' ')}`.trim(),
    uptime, reps: REPS, agentMode: agent.mode, agentBundle: agent.bundle, templateImageBuildMs: tplImg.buildMs,
    primitives: Object.fromEntries(prim), e2e, scaling, execs: { agent: Object.fromEntries(execAgent), raw: Object.fromEntries(execRaw) },
  }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
} finally {
  await node.cleanup();
}
