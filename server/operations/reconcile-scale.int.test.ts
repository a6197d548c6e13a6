// The reconciler's database work does not grow with the node's VE count (issue 15): on real
// Postgres, one pass over a node of 300 VEs sends as many statements as one over 20, whether nothing
// differs or every VE drifted, changed power state, went missing or appeared behind the panel's back.
// The node side is a fake agent (no containers): the point here is the panel's queries.
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
const SMALL = 20;
const BIG = 300;

beforeAll(async () => {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements++;
    return (origQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  db = await createTestDatabase({ poolMax: 5 });
  // Two nodes of different size in one database, ctids apart (simVes: base + node * perNode + i).
  [small] = await seedSimFleet(db.prisma, { dir: path.join(dir, 's'), nodes: 1, ves: SMALL, base: 820_000 });
  [big] = await seedSimFleet(db.prisma, { dir: path.join(dir, 'b'), nodes: 1, ves: BIG, base: 821_000 });
  for (const n of [small, big]) {
    const rows = await db.prisma.ve.findMany({ where: { nodeId: n.id }, select: { ctid: true, hostname: true, state: true } });
    agents.push(await startFakeAgent({ vzroot: n.vzroot, ves: rows.map((r) => ({ ctid: r.ctid, hostname: r.hostname, status: r.state === 'running' ? 'running' : 'stopped' })) }));
  }
}, 120_000);
afterAll(async () => {
  pg.Client.prototype.query = origQuery;
  await closeAll();
  await Promise.all(agents.map((a) => a.close()));
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function pass(n: SimNode) {
  dropNodeView(n.id); // the fake agent answers full lists: every pass compares every VE
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
    const renamed = await db.prisma.ve.findUnique({ where: { ctid: 821_000 + 0 }, select: { drift: true } });
    expect(Object.keys(renamed!.drift as object)).toContain('hostname');
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
});
