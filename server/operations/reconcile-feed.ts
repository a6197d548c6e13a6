// The reconciler's copy of each node's inventory, kept by ve.list's change feed, and what changed
// on the panel's side since the last pass: so a pass compares O(changes) VEs, not every VE (issue 15).
import type { Prisma } from '@/server/db/client';
import type { ResultOf } from '@/agents/protocol';
import type { AgentClient } from '@/server/nodes/client';

type NodeVe = ResultOf<'ve.list'>['ves'][number];

/** Every this many passes (and after an agent restart or a panel restart) a pass compares every VE. */
export const FULL_EVERY = 10;

interface View {
  epoch?: string;
  gen: number;
  ves: Map<number, NodeVe>;
  /** Changed on the node (or skipped) since the last completed pass: compared next pass. */
  dirty: Set<number>;
  lastPassAt?: Date;
  sinceFull: number;
}

// Per process: another panel process keeps its own copy (its first pass is a full one).
const views = new Map<string, View>();

export interface NodeView {
  onNode: Map<number, NodeVe>;
  /** Ctids changed on the node; undefined = a full pass. */
  scope?: Set<number>;
  /** Start of the last completed pass (panel-side changes after it are looked at). */
  since?: Date;
  /** The pass finished: remember what it skipped and when it started. */
  commit(skipped: Set<number>, startedAt: Date): void;
}

export async function nodeView(agent: AgentClient, nodeId: string, forceFull = false): Promise<NodeView> {
  const prev = views.get(nodeId);
  // A full pass asks without a cursor: the agent rereads every conf then (catches hand edits in place).
  const wantFull = forceFull || !prev?.epoch || !prev.lastPassAt || prev.sinceFull + 1 >= FULL_EVERY;
  const r = await agent.call('ve.list', !wantFull ? { since: { epoch: prev.epoch!, gen: prev.gen } } : {}, { timeoutMs: 60_000 });
  const delta = !!prev && r.full === false;
  const v: View = delta ? prev : { gen: 0, ves: new Map(), dirty: new Set(), sinceFull: 0 };
  if (!delta) for (const n of r.ves) v.ves.set(n.ctid, n);
  else {
    for (const n of r.ves) { v.ves.set(n.ctid, n); v.dirty.add(n.ctid); }
    for (const c of r.removed ?? []) { v.ves.delete(c); v.dirty.add(c); }
  }
  v.epoch = r.epoch;
  v.gen = r.gen ?? 0;
  if (!delta) v.lastPassAt = prev?.lastPassAt;
  views.set(nodeId, v);
  const full = !delta;
  return {
    onNode: v.ves,
    scope: full ? undefined : new Set(v.dirty),
    since: v.lastPassAt,
    commit(skipped, startedAt) {
      v.dirty = new Set(skipped);
      v.lastPassAt = startedAt;
      v.sinceFull = full ? 0 : v.sinceFull + 1;
    },
  };
}

/** Rows a delta pass compares: changed on the node, updated in the panel, or touched by a task since the last pass. */
export function panelChanges(scope: Set<number>, since?: Date): Prisma.VeWhereInput {
  const or: Prisma.VeWhereInput[] = [{ ctid: { in: [...scope] } }];
  if (since) or.push({ updatedAt: { gte: since } }, { tasks: { some: { finishedAt: { gte: since } } } });
  return { OR: or };
}

/** Forget a node's view (tests; a removed node). */
export function dropNodeView(nodeId: string): void {
  views.delete(nodeId);
}
