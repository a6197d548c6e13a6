// Migration planning: which mode and why, and the pre-flight checks (also the whole of a dry run).
import type { ResultOf } from '@/agents/protocol';
import type { Node, PrismaClient, Ve } from '@/server/db/client';
import { AppError } from '@/server/errors';
import type { AgentClient } from '@/server/nodes/client';
import { getAgent } from '@/server/nodes/pool';
import { addressesNotServedBy } from '@/server/services/ippools/allocate';
import { nodeSpec } from '@/server/nodes/spec';

export type MigrateMode = 'offline' | 'two-pass' | 'online-criu';
export type RequestedMode = 'auto' | MigrateMode;
type Caps = ResultOf<'hello'>['capabilities'];
type VeStatus = ResultOf<'migrate.describe'>['status'];

/** Phases in order, per mode (the names the task log, progress and result use). */
export const PHASES: Record<MigrateMode, string[]> = {
  offline: ['pre-flight', 'final-copy', 'verify', 'commit', 'start-on-target', 'cleanup'],
  'two-pass': ['pre-flight', 'copy-while-running', 'freeze', 'final-copy', 'verify', 'commit', 'start-on-target', 'cleanup'],
  'online-criu': ['pre-flight', 'copy-while-running', 'checkpoint', 'final-copy', 'verify', 'restore-on-target', 'commit', 'start-on-target', 'cleanup'],
};

/** Feature an agent announces when it can migrate with CRIU (agents/protocol FEATURES.criuMigrate). */
export const CRIU_MIGRATE_FEATURE = 'criu-migrate';

const criuWhy = (name: string, c: Caps) => (c.criu.usable ? undefined : `on ${name}: ${c.criu.reason ?? 'criu check failed'}`);

/**
 * Picks the mode for a VE in `status` between two nodes, with the reason shown to the admin.
 * A mode the admin asked for that cannot work is refused (UNPROCESSABLE) with the reason.
 */
export function chooseMode(status: VeStatus, requested: RequestedMode, src: { name: string; caps: Caps }, dst: { name: string; caps: Caps }): { mode: MigrateMode; reason: string } {
  if (status === 'suspended') throw new AppError('CONFLICT', 'The VE is suspended; resume it before migrating');
  if (status !== 'running' && status !== 'stopped') throw new AppError('CONFLICT', `The VE is ${status}; wait until it is running or stopped`);
  if (status === 'stopped') {
    if (requested !== 'auto' && requested !== 'offline') throw new AppError('UNPROCESSABLE', `The VE is stopped: only offline migration applies, not ${requested}`);
    return { mode: 'offline', reason: 'The VE is stopped: one copy, verified, then it is registered on the target (not started).' };
  }
  if (requested === 'offline') throw new AppError('UNPROCESSABLE', 'The VE is running: stop it first for an offline migration, or use two-pass');
  // Asked for by name, two-pass is what runs, even where CRIU could (benchmarks, a CRIU problem the checks miss).
  if (requested === 'two-pass') return { mode: 'two-pass', reason: 'two-pass was requested: copy while running, freeze, copy what changed, verify, start on the target.' };
  const criuProblems = [criuWhy(src.name, src.caps), criuWhy(dst.name, dst.caps)].filter((x): x is string => !!x);
  const criuFeature = [src, dst].every((n) => n.caps.features.includes(CRIU_MIGRATE_FEATURE));
  if (criuProblems.length === 0 && criuFeature) return { mode: 'online-criu', reason: 'CRIU works on both nodes: processes and memory are kept.' };
  const criuReason = criuProblems.length
    ? `CRIU is not usable (${criuProblems.join('; ')})`
    : `CRIU works on both nodes but the agents do not offer CRIU migration (${CRIU_MIGRATE_FEATURE})`;
  if (requested === 'online-criu') throw new AppError('UNPROCESSABLE', `Online migration with CRIU is not possible: ${criuReason}`, { reason: criuReason });
  return { mode: 'two-pass', reason: `${criuReason}, so two-pass: copy while running, freeze, copy what changed, verify, start on the target; the pause is the final copy plus a start.` };
}

export interface Check { name: string; ok: boolean; detail: string }

/** What a node offers a migration, as its agent reported it in `hello`. */
export interface NodeCapability {
  role: 'source' | 'target';
  id: string;
  name: string;
  agentVersion: string;
  lxcVersion: string;
  cgroup: string;
  criu: { usable: boolean; reason: string };
  features: string[];
}

const capabilityOf = (role: NodeCapability['role'], n: Node, h: ResultOf<'hello'>): NodeCapability => ({
  role, id: n.id, name: n.name, agentVersion: h.agentVersion, lxcVersion: h.capabilities.lxcVersion, cgroup: h.capabilities.cgroup,
  criu: { usable: h.capabilities.criu.usable, reason: h.capabilities.criu.usable ? 'criu check passed' : (h.capabilities.criu.reason ?? 'criu check failed') },
  features: h.capabilities.features,
});

export interface MigrationPlan {
  ctid: number;
  source: { id: string; name: string };
  target: { id: string; name: string };
  status: VeStatus;
  mode: MigrateMode;
  reason: string;
  phases: string[];
  imageBytes: number;
  usedBytes: number;
  checks: Check[];
  nodes: NodeCapability[];
}

export const agentOf = (n: Node): AgentClient => getAgent(n.id, nodeSpec(n));

/** Loads the VE and both nodes, refusing what the database alone can refuse. */
export async function loadMigration(prisma: PrismaClient, veId: string, targetNodeId: string): Promise<{ ve: Ve; source: Node; target: Node }> {
  const ve = await prisma.ve.findUnique({ where: { id: veId } });
  if (!ve) throw new AppError('NOT_FOUND', 'VE not found');
  const [source, target] = await Promise.all([prisma.node.findUnique({ where: { id: ve.nodeId } }), prisma.node.findUnique({ where: { id: targetNodeId } })]);
  if (!source) throw new AppError('INTERNAL', `node of VE ${ve.ctid} not found`);
  if (!target) throw new AppError('BAD_INPUT', 'targetNodeId: unknown node', { field: 'targetNodeId' });
  if (target.id === source.id) throw new AppError('BAD_INPUT', `VE ${ve.ctid} is already on node ${target.name}`, { field: 'targetNodeId' });
  if (target.maintenance) throw new AppError('UNPROCESSABLE', `Node ${target.name} is in maintenance`);
  if (!target.hostKey) throw new AppError('UNPROCESSABLE', `Node ${target.name} has no pinned SSH host key for node-to-node copies`);
  return { ve, source, target };
}

/**
 * Asks both agents what a migration needs (capabilities, VE state and size, target room and
 * clashes) and returns the plan with every check. Acts on nothing: this is the dry run.
 */
export async function planMigration(prisma: PrismaClient, m: { ve: Ve; source: Node; target: Node }, requested: RequestedMode): Promise<MigrationPlan> {
  const { ve, source, target } = m;
  const src = agentOf(source);
  const dst = agentOf(target);
  const [sh, th, desc, tinfo, tstatus, tlist] = await Promise.all([
    src.hello(), dst.hello(), src.call('migrate.describe', { ctid: ve.ctid }), dst.call('node.info', {}),
    dst.call('ve.status', { ctid: ve.ctid }), dst.call('ve.list', {}),
  ]);
  const { mode, reason } = chooseMode(desc.status, requested, { name: source.name, caps: sh.capabilities }, { name: target.name, caps: th.capabilities });
  const has = (caps: Caps, method: string) => caps.methods?.includes(method) ?? false;
  const ips = ((desc.config.ips as string[] | undefined) ?? []).map((s) => s.split('/')[0]);
  const clash = tlist.ves.flatMap((v) => v.ips.map((a) => a.split('/')[0]).filter((a) => ips.includes(a)).map((a) => `${a} (VE ${v.ctid})`));
  const unserved = await addressesNotServedBy(prisma, ve.id, target.id);
  const need = Math.ceil(desc.usedBytes * 1.1) + 64 * 2 ** 20;
  const checks: Check[] = [
    { name: 'agents', ok: has(sh.capabilities, 'migrate.send') && has(th.capabilities, 'migrate.prepareTarget'), detail: `source ${sh.agentVersion}, target ${th.agentVersion}` },
    { name: 'ctid free on target', ok: !tstatus.exists, detail: tstatus.exists ? `VE ${ve.ctid} already exists on ${target.name}` : `VE ${ve.ctid} is free on ${target.name}` },
    { name: 'addresses free on target', ok: clash.length === 0, detail: clash.length ? `in use on ${target.name}: ${clash.join(', ')}` : (ips.join(', ') || 'no addresses') },
    { name: 'addresses served by target', ok: unserved.length === 0, detail: unserved.length ? `not in a pool of ${target.name}: ${unserved.join(', ')}` : 'all addresses stay with the VE' },
    { name: 'disk space on target', ok: tinfo.disk.freeBytes >= need, detail: `${need} bytes needed, ${tinfo.disk.freeBytes} free` },
    { name: 'cgroup', ok: true, detail: `${sh.capabilities.cgroup} -> ${th.capabilities.cgroup}` },
  ];
  return {
    ctid: ve.ctid, source: { id: source.id, name: source.name }, target: { id: target.id, name: target.name },
    status: desc.status, mode, reason, phases: PHASES[mode], imageBytes: desc.imageBytes, usedBytes: desc.usedBytes, checks,
    nodes: [capabilityOf('source', source, sh), capabilityOf('target', target, th)],
  };
}

/** Throws CONFLICT/CAPACITY/UNPROCESSABLE for the first failed check of a plan. */
export function assertPlanOk(p: MigrationPlan): void {
  const bad = p.checks.find((c) => !c.ok);
  if (!bad) return;
  const code = bad.name.startsWith('disk') ? 'CAPACITY' : bad.name === 'agents' || bad.name.includes('served') ? 'UNPROCESSABLE' : 'CONFLICT';
  throw new AppError(code, `pre-flight: ${bad.name}: ${bad.detail}`, { check: bad.name });
}
