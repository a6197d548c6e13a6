// The task queue against a simulated fleet (issue 15), shared by bench/fleet-tasks.ts and its CI
// test: fake agents' inventories and the panel rows that match them, a power-action mix queued the
// way the API queues it (requestPowerAction: VE row lock, state check, task + job in one
// transaction), the drain, and the check that every VE's row says what its node says.
import path from 'node:path';
import type { Node, PrismaClient, VeState } from '@/server/db/client';
import { getAgent, type NodeSpec } from '@/server/nodes/pool';
import { requestPowerAction, type PowerAction } from '@/server/services/ves/requests';
import type { FakeVe } from '@/test/fixtures/fake-agent';
import { now, pool } from './stats';

/** Simulated nodes are reached on their fake agent's socket, with no bridge process per node. */
export const simSpec = (n: Pick<Node, 'vzroot'>): NodeSpec => ({ transport: 'socket', socket: path.join(n.vzroot!, 'run', 'vzagentd.sock') });

/** Node n's VEs: ctids from `base`, every other one stopped (so the mix has starts as well as stops). */
export function simVes(n: number, perNode: number, base = 100_000): FakeVe[] {
  return Array.from({ length: perNode }, (_, i) => ({ ctid: base + n * perNode + i, hostname: `sim${n}-${i}.test`, status: i % 2 ? 'stopped' : 'running' }));
}

export interface SimNode { id: string; name: string; vzroot: string; ves: { id: string; ctid: number }[] }

/** Node and VE rows matching simVes for nodes 0..nodes-1 under `dir` (node n at <dir>/node<n>). */
export async function seedSimFleet(prisma: PrismaClient, o: { dir: string; nodes: number; ves: number; base?: number }): Promise<SimNode[]> {
  // Named as the fake agents report their VEs' ostemplate, so the reconciler finds no template drift.
  const tpl = await prisma.template.upsert({ where: { name: 'debian-12' }, update: {}, create: { name: 'debian-12', os: 'debian', version: '12', arch: 'x86_64', sizeBytes: 1n, sha256: '0'.repeat(64) } });
  const out: SimNode[] = [];
  for (let n = 0; n < o.nodes; n++) {
    const vzroot = path.join(o.dir, `node${n}`);
    const node = await prisma.node.create({ data: { name: `sim-${o.base ?? 100_000}-${n}`, address: '127.0.0.1', transport: 'local', vzroot, state: 'online', lastSeenAt: new Date() } });
    const ves = simVes(n, o.ves, o.base);
    await prisma.ve.createMany({ data: ves.map((v) => ({ ctid: v.ctid, hostname: v.hostname, nodeId: node.id, templateId: tpl.id, state: v.status as VeState, limits: { ram: 1024, diskspace: 10240 } })) });
    const rows = await prisma.ve.findMany({ where: { nodeId: node.id }, select: { id: true, ctid: true }, orderBy: { ctid: 'asc' } });
    out.push({ id: node.id, name: node.name, vzroot, ves: rows });
  }
  return out;
}

export interface PowerItem { veId: string; ctid: number; nodeId: string; action: PowerAction }

/**
 * `count` power actions spread round-robin over the nodes (the same number per node, at most one
 * per VE), skipping the first `skip` VEs of each node: stopped VEs are started, running ones
 * alternately stopped and restarted.
 */
export async function powerMix(prisma: PrismaClient, fleet: SimNode[], count: number, skip = 0): Promise<PowerItem[]> {
  const perNode = Math.ceil(count / fleet.length);
  const ids = fleet.flatMap((n) => n.ves.slice(skip, skip + perNode).map((v) => v.id));
  const states = new Map((await prisma.ve.findMany({ where: { id: { in: ids } }, select: { id: true, state: true } })).map((v) => [v.id, v.state]));
  const items: PowerItem[] = [];
  let running = 0;
  for (let i = 0; i < perNode && items.length < count; i++) {
    for (const n of fleet) {
      const v = n.ves[skip + i];
      if (!v || items.length >= count) continue;
      const state = states.get(v.id);
      const action: PowerAction = state === 'running' ? (running++ % 2 ? 'restart' : 'stop') : 'start';
      items.push({ veId: v.id, ctid: v.ctid, nodeId: n.id, action });
    }
  }
  return items;
}

export interface Enqueued { taskIds: string[]; ms: number; perTaskMs: number[] }

/** Queues every item through the API's own request path, `clients` requests at once (admin actor). */
export async function enqueuePower(prisma: PrismaClient, items: PowerItem[], clients: number): Promise<Enqueued> {
  const perTaskMs: number[] = [];
  const t0 = now();
  const ids = await pool(items, clients, async (it) => {
    const t = now();
    const { taskId } = await requestPowerAction(prisma, { role: 'admin' }, it.veId, it.action);
    perTaskMs.push(now() - t);
    return taskId;
  });
  return { taskIds: ids, ms: now() - t0, perTaskMs };
}

/** Waits until none of `taskIds` is queued or running (polling `count`); false on timeout. */
export async function waitDrained(count: (ids: string[]) => Promise<number>, taskIds: string[], timeoutMs: number, everyMs = 200): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await count(taskIds)) === 0) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

/** VEs whose row state differs from what their node's agent lists (asked over the simulated transport). */
export async function stateMismatches(prisma: PrismaClient, fleet: SimNode[]): Promise<{ ctid: number; panel: string; node: string }[]> {
  const out: { ctid: number; panel: string; node: string }[] = [];
  await pool(fleet, 16, async (n) => {
    const listed = await getAgent(n.id, simSpec(n)).call('ve.list', {}, { timeoutMs: 60_000 });
    const onNode = new Map(listed.ves.map((v) => [v.ctid, v.status === 'running' ? 'running' : 'stopped']));
    for (const v of await prisma.ve.findMany({ where: { nodeId: n.id }, select: { ctid: true, state: true } })) {
      const node = onNode.get(v.ctid) ?? 'missing';
      if (node !== v.state) out.push({ ctid: v.ctid, panel: v.state, node });
    }
  });
  return out;
}

/** Per finished task: queue wait (created to started) and run time (started to finished), ms. */
export async function taskTimes(prisma: PrismaClient, taskIds: string[]) {
  const rows = await prisma.task.findMany({ where: { id: { in: taskIds } }, select: { status: true, attempts: true, createdAt: true, startedAt: true, finishedAt: true } });
  const done = rows.filter((r) => r.startedAt && r.finishedAt);
  const first = Math.min(...rows.map((r) => r.createdAt.getTime()));
  const last = Math.max(...done.map((r) => r.finishedAt!.getTime()));
  return {
    statuses: rows.reduce<Record<string, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {}),
    retried: rows.filter((r) => r.attempts > 1).length,
    waitMs: done.map((r) => r.startedAt!.getTime() - r.createdAt.getTime()),
    runMs: done.map((r) => r.finishedAt!.getTime() - r.startedAt!.getTime()),
    spanMs: last - first,
  };
}
