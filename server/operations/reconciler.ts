// Compares each node's inventory (ve.list) with the Ve rows: adopts power state, reports drift, deletes nothing.
import type { Node, PrismaClient, VeState } from '@/server/db/client';
import type { ResultOf } from '@/agents/protocol';
import { getAgent, type NodeSpec } from '@/server/nodes/pool';
import { BOOTSTRAPPING } from '@/server/services/nodes/manage';
import { MISSING, ORPHAN, STATE_MISMATCH, recordReconcilePass, type SeenIssue } from '@/server/services/reconcile';
import { logger } from '@/server/logger';
import { nodeSpec } from '@/server/nodes/spec';
import { compareVe, NO_TASK_IN_FLIGHT, parseDrift, recordVeDrifts, stampUpdatedAt, stateDrift } from '@/server/services/ves/drift';
import { DRIFT_SELECT, nodeSnapshot, panelSnapshot } from './ve/drift';
import { nodeView, panelChanges } from './reconcile-feed';

type NodeVe = ResultOf<'ve.list'>['ves'][number];

export interface ReconcileResult {
  node: string;
  /** Power states the panel adopted from the node. */
  corrected: Array<{ ctid: number; from: VeState; to: VeState }>;
  issues: SeenIssue[];
  /** Per VE, the fields where the node disagrees with the panel (stored on Ve.drift). */
  drift: Array<{ ctid: number; fields: string[] }>;
  /** Ctids left alone this pass (a task queued/running, or a state in transition). */
  skipped: number[];
  /** Full pass (every VE compared) or delta pass (only VEs changed on either side since the last pass). */
  full: boolean;
  /** VEs compared this pass. */
  checked: number;
  /** Time spent waiting for the node's ve.list, and in the panel's own work (reads, comparison, writes), ms. */
  ms: { node: number; panel: number };
}

export interface Reconciler {
  /** Reconciles every reachable node once (tests; also the periodic pass). */
  tick(): Promise<ReconcileResult[]>;
  reconcileNode(nodeId: string): Promise<ReconcileResult | null>;
  /** Reconcile a node soon (it just came back online); coalesces with a pass already running. */
  kick(nodeId: string): void;
  stop(): Promise<void>;
}

// A VE in one of these states belongs to the task that put it there.
const TRANSITIONAL: ReadonlySet<VeState> = new Set(['creating', 'migrating', 'reinstalling', 'destroying', 'restoring']);

// Node status -> the panel state it implies; undefined = in transition on the node, look again next pass.
function panelStateOf(s: NodeVe['status']): VeState | undefined {
  if (s === 'running' || s === 'starting') return 'running';
  if (s === 'stopped') return 'stopped';
  if (s === 'suspended') return 'suspended';
  return undefined;
}

/** Takes the node's power state on each row, only if the row still has the state seen and no task arrived since; returns the ids adopted. */
async function adoptStates(prisma: PrismaClient, rows: Array<{ id: string; from: VeState; to: VeState }>): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const done = await prisma.$queryRaw<Array<{ id: string }>>`
    UPDATE "Ve" v SET state = x."to"::"VeState", ${stampUpdatedAt(new Date())}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(id text, "from" text, "to" text)
    WHERE v.id = x.id AND v.state::text = x."from" AND ${NO_TASK_IN_FLIGHT}
    RETURNING v.id`;
  return new Set(done.map((r) => r.id));
}

const usable = (n: Node) => n.state !== 'offline' && !n.hostKeyMismatch && !(n.state === 'unknown' && n.stateReason === BOOTSTRAPPING);

/**
 * One pass over one node. Returns null when the node cannot be asked (offline, flagged, bootstrapping).
 * Only VEs changed since the last pass are compared (node side: ve.list's change feed; panel side:
 * rows updated, tasks finished, VEs skipped last time); `full` or every FULL_EVERY-th pass compares all.
 */
export async function reconcileNode(prisma: PrismaClient, nodeId: string, specFor: (n: Node) => NodeSpec = nodeSpec, opts: { full?: boolean } = {}): Promise<ReconcileResult | null> {
  const node = await prisma.node.findUnique({ where: { id: nodeId } });
  if (!node || !usable(node)) return null;
  const t0 = new Date();
  const view = await nodeView(getAgent(node.id, specFor(node)), nodeId, opts.full);
  const nodeMs = Date.now() - t0.getTime();
  const { onNode, scope } = view;
  // Open issues are looked at again each pass (few): one whose row or VE went away resolves.
  if (scope) for (const i of await prisma.reconcileIssue.findMany({ where: { nodeId, resolvedAt: null }, select: { ctid: true } })) scope.add(i.ctid);
  const veSelect = { id: true, ctid: true, state: true, hostname: true, suspendMode: true, usage: { select: { suspendedAt: true } }, ...DRIFT_SELECT } as const;
  const dbVes = await prisma.ve.findMany({ where: { nodeId, ...(scope ? panelChanges(scope, view.since) : {}) }, select: veSelect });
  const ves = scope ? [...new Set([...scope, ...dbVes.map((v) => v.ctid)])].flatMap((c) => onNode.get(c) ?? []) : [...onNode.values()];
  // Anything a task touched during this pass, or may still touch, is left to that task.
  const busy = await prisma.task.findMany({
    where: { OR: [{ status: { in: ['queued', 'running'] } }, { finishedAt: { gte: t0 } }], AND: [{ OR: [{ ctid: { in: [...ves.map((v) => v.ctid), ...dbVes.map((v) => v.ctid)] } }, { veId: { in: dbVes.map((v) => v.id) } }] }] },
    select: { ctid: true, veId: true },
  });
  const busyIds = new Set(busy.map((t) => t.veId));
  const skipped = new Set<number>(busy.flatMap((t) => (t.ctid == null ? [] : [t.ctid])));
  const res: ReconcileResult = { node: node.name, corrected: [], issues: [], drift: [], skipped: [], full: !scope, checked: dbVes.length, ms: { node: nodeMs, panel: 0 } };
  // Writes are gathered and sent as one statement each after the loop: a pass's queries do not grow with the VEs it compares.
  const drifts: Parameters<typeof recordVeDrifts>[1] = [];
  const adopt: Array<{ id: string; ctid: number; from: VeState; to: VeState }> = [];

  for (const ve of dbVes) {
    if (TRANSITIONAL.has(ve.state) || busyIds.has(ve.id)) skipped.add(ve.ctid);
    if (skipped.has(ve.ctid)) continue;
    const n = onNode.get(ve.ctid);
    if (!n) {
      res.issues.push({ ctid: ve.ctid, kind: MISSING, details: { veId: ve.id, hostname: ve.hostname, panelState: ve.state } });
      continue;
    }
    const want = panelStateOf(n.status);
    if (!want) { skipped.add(ve.ctid); continue; }
    const found = compareVe(panelSnapshot(ve), nodeSnapshot(n));
    // A network-only billing suspension took the addresses off the node on purpose.
    if (ve.state === 'suspended' && ve.suspendMode === 'network') delete found.ips;
    if (ve.usage?.suspendedAt) delete found.ips; // so did the traffic quota's network cut (services/usage/quota-apply.ts)
    // Power states the pass adopts below (running <-> stopped) stay visible as drift until decided.
    const adopts = want !== ve.state && (ve.state === 'running' || ve.state === 'stopped') && (want === 'running' || want === 'stopped');
    const state = stateDrift(parseDrift(ve.drift), want, adopts ? { panel: ve.state } : undefined);
    if (state) found.state = state;
    drifts.push({ ve, found });
    if (Object.keys(found).length) res.drift.push({ ctid: ve.ctid, fields: Object.keys(found) });
    if (want === ve.state) continue;
    // A network-only billing suspension keeps the VE running on purpose (services/billing/suspension.ts).
    if (ve.state === 'suspended' && ve.suspendMode === 'network' && want === 'running') continue;
    // Suspension is a billing fact and a freeze behind the panel's back is odd: report, do not adopt.
    if (ve.state === 'suspended' ? want === 'running' : want === 'suspended') {
      res.issues.push({ ctid: ve.ctid, kind: STATE_MISMATCH, details: { veId: ve.id, panelState: ve.state, nodeState: n.status } });
      continue;
    }
    if (ve.state === 'suspended') continue; // suspended by stopping: the node showing "stopped" is expected
    adopt.push({ id: ve.id, ctid: ve.ctid, from: ve.state, to: want });
  }
  await recordVeDrifts(prisma, drifts);
  const adopted = await adoptStates(prisma, adopt);
  res.corrected = adopt.filter((a) => adopted.has(a.id)).map(({ ctid, from, to }) => ({ ctid, from, to }));
  const known = new Set(dbVes.map((v) => v.ctid));
  const elsewhere = new Map(
    (await prisma.ve.findMany({ where: { ctid: { in: ves.map((v) => v.ctid).filter((c) => !known.has(c)) } }, select: { ctid: true, node: { select: { name: true } } } }))
      .map((v) => [v.ctid, v.node.name]),
  );
  for (const n of ves) {
    if (known.has(n.ctid) || skipped.has(n.ctid)) continue;
    res.issues.push({
      ctid: n.ctid, kind: ORPHAN,
      details: { hostname: n.hostname, ips: n.ips, status: n.status, ostemplate: n.ostemplate, ...(elsewhere.has(n.ctid) ? { panelNode: elsewhere.get(n.ctid)! } : {}) },
    });
  }
  res.skipped = [...skipped];
  view.commit(skipped, t0);
  // A delta pass says nothing about VEs it did not look at: their open issues stay open.
  await recordReconcilePass(prisma, node.id, res.issues, skipped, scope ? new Set([...scope, ...known]) : undefined);
  res.ms.panel = Date.now() - t0.getTime() - nodeMs;
  if (res.corrected.length || res.issues.length || res.drift.length) {
    logger.info({ node: node.name, corrected: res.corrected, issues: res.issues.map((i) => `${i.kind}:${i.ctid}`), drift: res.drift.map((d) => `${d.ctid}:${d.fields.join(',')}`) }, 'reconcile: drift');
  }
  return res;
}

/** Runs reconcileNode for every node every `intervalMs` (default 60 s) and on kick(). */
export function startReconciler(opts: { prisma: PrismaClient; intervalMs?: number; specFor?: (n: Node) => NodeSpec; startNow?: boolean }): Reconciler {
  const { prisma } = opts;
  const specFor = opts.specFor ?? nodeSpec;
  const inFlight = new Map<string, Promise<ReconcileResult | null>>();
  const again = new Set<string>();
  let stopped = false;

  const one = (nodeId: string): Promise<ReconcileResult | null> => {
    const cur = inFlight.get(nodeId);
    if (cur) return cur;
    const p = reconcileNode(prisma, nodeId, specFor)
      .catch((err) => {
        logger.warn({ nodeId, err: (err as Error).message }, 'reconcile pass failed');
        return null;
      })
      .finally(() => {
        inFlight.delete(nodeId);
        if (again.delete(nodeId) && !stopped) void one(nodeId);
      });
    inFlight.set(nodeId, p);
    return p;
  };

  async function tick(): Promise<ReconcileResult[]> {
    const nodes = await prisma.node.findMany({ select: { id: true } }).catch(() => []);
    return (await Promise.all(nodes.map((n) => one(n.id)))).filter((r): r is ReconcileResult => !!r);
  }

  const timer = setInterval(() => { if (!stopped) void tick(); }, opts.intervalMs ?? 60_000);
  timer.unref();
  if (opts.startNow) void tick();

  return {
    tick,
    reconcileNode: one,
    kick(nodeId) {
      if (stopped) return;
      if (inFlight.has(nodeId)) again.add(nodeId);
      else void one(nodeId);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
