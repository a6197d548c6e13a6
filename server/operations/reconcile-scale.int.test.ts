// The reconciler's database work does not grow with the node's VE count (issue 15): on real
// Postgres, one pass over a node of 300 VEs sends as many statements as one over 20, whether nothing
// differs or every VE drifted, changed power state, went missing or appeared behind the panel's back.
// A delta pass on a node of 3,000 VEs sends as many statements as on one of 20 and compares only
// what changed. The node side is a fake agent (no containers): the point here is the panel's queries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { startFakeAgent, type FakeAgent } from '@/test/fixtures/fake-agent';
import { closeAll } from '@/server/nodes/pool';
import { seedSimFleet, simSpec, type SimNode } from '@/bench/lib/fleet-tasks';
import { reconcileNode } from './reconciler';
import { dropNodeView } from './reconcile-feed';

// Every statement sent by this process (Prisma's pool), counted at the pg client.
let statements = 0;
const origQuery = pg.Client.prototype.query;

let db: TestDatabase;
const dir = mkdtempSync(path.join(os.tmpdir(), 'vz-reconcile-scale-'));
const agents: FakeAgent[] = [];
let small: SimNode;
let big: SimNode;
let feedSmall: SimNode;
let feedHuge: SimNode;
const SMALL = 20;
const BIG = 300;
const HUGE = 3000;

beforeAll(async () => {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements++;
    return (origQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  db = await createTestDatabase({ poolMax: 5 });
  // Two nodes of different size in one database, ctids apart (simVes: base + node * perNode + i).
  [small] = await seedSimFleet(db.prisma, { dir: path.join(dir, 's'), nodes: 1, ves: SMALL, base: 820_000 });
  [big] = await seedSimFleet(db.prisma, { dir: path.join(dir, 'b'), nodes: 1, ves: BIG, base: 821_000 });
  // Two more answering ve.list's change feed.
  [feedSmall] = await seedSimFleet(db.prisma, { dir: path.join(dir, 'fs'), nodes: 1, ves: SMALL, base: 823_000 });
  [feedHuge] = await seedSimFleet(db.prisma, { dir: path.join(dir, 'fh'), nodes: 1, ves: HUGE, base: 824_000 });
  for (const n of [small, big, feedSmall, feedHuge]) {
    const rows = await db.prisma.ve.findMany({ where: { nodeId: n.id }, select: { ctid: true, hostname: true, state: true } });
    agents.push(await startFakeAgent({ vzroot: n.vzroot, deltas: n === feedSmall || n === feedHuge, ves: rows.map((r) => ({ ctid: r.ctid, hostname: r.hostname, status: r.state === 'running' ? 'running' : 'stopped' })) }));
  }
}, 180_000);
afterAll(async () => {
  pg.Client.prototype.query = origQuery;
  await closeAll();
  await Promise.all(agents.map((a) => a.close()));
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function pass(n: SimNode, keepView = false) {
  if (!keepView) dropNodeView(n.id); // a full pass: every VE compared
  const s0 = statements;
  const t0 = performance.now();
  const r = (await reconcileNode(db.prisma, n.id, simSpec))!;
  return { r, statements: statements - s0, ms: performance.now() - t0 };
}

/** Behind the panel's back, on `fraction` of a node's VEs each: renamed, power flipped, gone; plus orphans. */
function drift(a: FakeAgent, ctidBase: number, every: number) {
  const ves = [...a.ves.values()].sort((x, y) => x.ctid - y.ctid);
  ves.forEach((v, i) => {
    if (i % every === 0) v.hostname = `renamed-${v.ctid}.test`;
    if (i % every === 1) v.status = v.status === 'running' ? 'stopped' : 'running';
    if (i % every === 2) a.ves.delete(v.ctid);
  });
  for (let i = 0; i < ves.length / every; i++) a.ves.set(ctidBase + 900 + i, { ctid: ctidBase + 900 + i, hostname: `orphan-${i}.test`, status: 'stopped' });
}

describe('reconciler at a few hundred VEs', () => {
  it('sends a number of statements independent of the VE count', { timeout: 300_000 }, async () => {
    const quietS = await pass(small);
    const quietB = await pass(big);
    expect(quietB.r).toMatchObject({ full: true, checked: BIG, corrected: [], issues: [], drift: [] });
    expect(quietS.r.checked).toBe(SMALL);
    console.log(`quiet pass: ${SMALL} VEs ${quietS.statements} statements ${quietS.ms.toFixed(0)} ms; ${BIG} VEs ${quietB.statements} statements ${quietB.ms.toFixed(0)} ms`);
    expect(quietB.statements).toBe(quietS.statements);

    drift(agents[0], 820_000, 4);
    drift(agents[1], 821_000, 4);
    const dS = await pass(small);
    const dB = await pass(big);
    console.log(`drift pass: ${SMALL} VEs ${dS.statements} statements ${dS.ms.toFixed(0)} ms; ${BIG} VEs ${dB.statements} statements ${dB.ms.toFixed(0)} ms`);
    // What the pass found and did at 300: a quarter renamed, a quarter adopted, a quarter missing, orphans.
    expect(dB.r.drift.filter((d) => d.fields.includes('hostname'))).toHaveLength(BIG / 4);
    expect(dB.r.corrected).toHaveLength(BIG / 4);
    expect(dB.r.issues.filter((i) => i.kind === 'missing_on_node')).toHaveLength(BIG / 4);
    expect(dB.r.issues.filter((i) => i.kind === 'unknown_on_node')).toHaveLength(BIG / 4);
    const renamed = await db.prisma.ve.findUnique({ where: { ctid: 821_000 + 0 }, select: { drift: true, updatedAt: true } });
    expect(Object.keys(renamed!.drift as object)).toContain('hostname');
    // Times written by the set-based statements read back as this process's clock (UTC, as Prisma writes them).
    expect(Math.abs(renamed!.updatedAt.getTime() - Date.now())).toBeLessThan(60_000);
    const issue = await db.prisma.reconcileIssue.findFirst({ where: { nodeId: big.id }, select: { detectedAt: true, lastSeenAt: true } });
    expect(Math.abs(issue!.detectedAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await db.prisma.reconcileIssue.count({ where: { nodeId: big.id, resolvedAt: null } })).toBe(BIG / 2);
    expect(dB.statements).toBe(dS.statements);

    // The same again: issues refreshed, nothing new written.
    const again = await pass(big);
    expect(again.statements).toBeLessThanOrEqual(dS.statements);
    expect(again.r.corrected).toEqual([]);
    expect(await db.prisma.reconcileIssue.count({ where: { nodeId: big.id, resolvedAt: null } })).toBe(BIG / 2);

    // The node put back as the panel has it: every issue resolves and every drift entry goes.
    const a = agents[1];
    a.ves.clear();
    for (const r of await db.prisma.ve.findMany({ where: { nodeId: big.id }, select: { ctid: true, hostname: true, state: true } })) {
      a.ves.set(r.ctid, { ctid: r.ctid, hostname: r.hostname, status: r.state === 'running' ? 'running' : 'stopped' });
    }
    const back = await pass(big);
    expect(back.r).toMatchObject({ corrected: [], issues: [] });
    // The adopted power states stay open as drift until someone decides; everything else went.
    expect(back.r.drift.map((d) => d.fields)).toEqual(Array(BIG / 4).fill(['state']));
    expect(back.statements).toBeLessThanOrEqual(dS.statements);
    expect(await db.prisma.reconcileIssue.count({ where: { nodeId: big.id, resolvedAt: null } })).toBe(0);
    expect(await db.prisma.ve.count({ where: { nodeId: big.id, NOT: { drift: { equals: {} } } } })).toBe(BIG / 4);
  });

  it('a delta pass at 3,000 VEs compares only what changed, with the statements of one at 20', { timeout: 300_000 }, async () => {
    const first = await pass(feedHuge);
    expect(first.r).toMatchObject({ full: true, checked: HUGE, corrected: [], issues: [], drift: [] });
    await pass(feedSmall);
    // Quiet delta passes (the first pass's own start time leaves rows updated since then to look at once).
    for (const n of [feedSmall, feedHuge]) for (let i = 0; i < 2; i++) await pass(n, true);
    const quietS = await pass(feedSmall, true);
    const quietH = await pass(feedHuge, true);
    expect(quietH.r).toMatchObject({ full: false, checked: 0 });
    expect(quietH.statements).toBe(quietS.statements);

    // Five VEs changed on each node: one renamed, two stopped or started, one gone, one unknown.
    const change = (a: FakeAgent, base: number) => {
      a.ves.get(base)!.hostname = 'renamed.test';
      for (const c of [base + 1, base + 2]) { const v = a.ves.get(c)!; v.status = v.status === 'running' ? 'stopped' : 'running'; }
      a.ves.delete(base + 3);
      a.ves.set(base + 9000, { ctid: base + 9000, hostname: 'stray.test', status: 'running' });
    };
    change(agents[2], 823_000);
    change(agents[3], 824_000);
    const dS = await pass(feedSmall, true);
    const dH = await pass(feedHuge, true);
    console.log(`delta pass, 5 changes: ${SMALL} VEs ${dS.statements} statements ${dS.ms.toFixed(0)} ms (panel ${dS.r.ms.panel} ms); ${HUGE} VEs ${dH.statements} statements ${dH.ms.toFixed(0)} ms (panel ${dH.r.ms.panel} ms); quiet ${HUGE}: ${quietH.ms.toFixed(0)} ms`);
    expect(dH.r.full).toBe(false);
    expect(dH.r.checked).toBeLessThanOrEqual(5);
    expect(dH.r.drift.map((d) => d.ctid).sort()).toEqual([824_000, 824_001, 824_002]);
    expect(dH.r.corrected.map((c) => c.ctid).sort()).toEqual([824_001, 824_002]);
    expect(dH.r.issues.map((i) => `${i.kind}:${i.ctid}`).sort()).toEqual([`missing_on_node:${824_003}`, `unknown_on_node:${833_000}`]);
    expect(dH.statements).toBe(dS.statements);
  });
});
