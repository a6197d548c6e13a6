// The panel's Prometheus registry (prom-client): process metrics, API latency per procedure, and
// gauges read from Postgres at scrape time (so every panel process reports the same fleet view).
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PrismaClient } from '@/server/db/client';
import { panelSnapshot } from './snapshot';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** Seconds from a tRPC/REST call entering its procedure to its answer (auth included), by procedure and outcome. */
export const apiDuration = new Histogram({
  name: 'vzpanel_api_request_duration_seconds',
  help: 'Time to answer one tRPC or REST procedure call, including authentication',
  labelNames: ['procedure', 'type', 'code'] as const,
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const tasks = new Gauge({ name: 'vzpanel_tasks', help: 'Tasks by state', labelNames: ['state'] as const, registers: [registry] });
const queue = new Gauge({ name: 'vzpanel_task_queue_depth', help: 'Tasks waiting to run, by node', labelNames: ['node'] as const, registers: [registry] });
const nodeState = new Gauge({ name: 'vzpanel_node_state', help: '1 for the state each node is in (online, offline, unknown)', labelNames: ['node', 'state'] as const, registers: [registry] });
const nodeMaint = new Gauge({ name: 'vzpanel_node_maintenance', help: '1 while a node is in maintenance', labelNames: ['node'] as const, registers: [registry] });
const nodeVes = new Gauge({ name: 'vzpanel_node_ves', help: 'VEs on each node by state', labelNames: ['node', 'state'] as const, registers: [registry] });

/** Refreshes the fleet gauges from the database, then renders the whole registry in the text format. */
export async function renderPanelMetrics(prisma: PrismaClient): Promise<string> {
  const s = await panelSnapshot(prisma);
  // Reset first: a node or state that went away must not linger with its last value.
  for (const g of [tasks, queue, nodeState, nodeMaint, nodeVes]) g.reset();
  for (const [state, n] of s.tasksByState) tasks.set({ state }, n);
  for (const [node, n] of s.queuedByNode) queue.set({ node }, n);
  for (const n of s.nodes) {
    for (const state of ['online', 'offline', 'unknown']) nodeState.set({ node: n.name, state }, n.state === state ? 1 : 0);
    nodeMaint.set({ node: n.name }, n.maintenance ? 1 : 0);
  }
  for (const v of s.vesByNode) nodeVes.set({ node: v.node, state: v.state }, v.count);
  return registry.metrics();
}
