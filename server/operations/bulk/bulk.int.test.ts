// Bulk jobs end to end: two real nodes (vzagentd + LXC each), 50 busybox VEs, real Postgres and worker.
// Canary 5, batches of 10, stop after 3 failures; re-run failed repeats only those; cancel; skip; power.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomInt } from 'node:crypto';
import { rm, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, type PanelTestNode } from '@/test/fixtures/panel-node';
import { laneCtidOffset } from '@/agents/src/lxc/test-env';
import { uniq } from '@/test/fixtures/panel';
import { closeAll } from '@/server/nodes/pool';
import { startWorker, type PanelWorker } from '@/server/operations/worker';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { createSession } from '@/server/services/auth/sessions';

const MiB = 2 ** 20;
const N = 50;
let db: TestDatabase;
let worker: PanelWorker;
const nodes: PanelTestNode[] = [];
const ves: { ctid: number; node: PanelTestNode; veId: string }[] = [];
const tag = `bulk-${randomBytes(3).toString('hex')}`;
let admin: ReturnType<typeof createCaller>;

const root = (i: number) => path.join(ves[i].node.tn.vzroot, 'root', String(ves[i].ctid));
const runsIn = async (i: number) => (await readFile(path.join(root(i), 'runs.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

async function waitJob(id: string, timeoutMs = 180_000) {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    const j = await admin.bulk.get({ id });
    if (['succeeded', 'partial', 'failed', 'cancelled'].includes(j.status)) return j;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`bulk job ${id} did not end`);
}

beforeAll(async () => {
  db = await createTestDatabase();
  for (let k = 0; k < 2; k++) nodes.push(await makePanelTestNode(db.prisma));
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 4 });
  const user = await createUser(db.prisma, { email: `${uniq('admin')}@example.test`, password: 'correct horse battery', role: 'admin' });
  admin = createCaller(await createInnerContext(db.prisma, { sessionToken: (await createSession(db.prisma, user.id)).token }));
  // Consecutive ctids alternate between the nodes, so every batch spans both.
  const base = randomInt(40_000, 49_999 - N) + laneCtidOffset();
  for (let i = 0; i < N; i++) ves.push({ ctid: base + i, node: nodes[i % 2], veId: '' });
  // Created in parallel through each agent (8 at a time per node).
  await Promise.all(nodes.map(async (n) => {
    const mine = ves.filter((v) => v.node === n);
    const next = () => mine.shift();
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let v = next(); v; v = next()) {
        await n.agent().call('ve.create', { ctid: v.ctid, ostemplate: 'busybox', hostname: `b${v.ctid}.test`, ram: 64 * MiB, numproc: 64, diskspace: 64 * MiB, diskinodes: 4096, start: true }, { opId: `t-create-${v.ctid}` });
      }
    }));
  }));
  for (const v of ves) {
    const row = await db.prisma.ve.create({ data: { ctid: v.ctid, hostname: `b${v.ctid}.test`, nodeId: v.node.node.id, templateId: v.node.templateId, planId: v.node.planId, state: 'running', tags: [tag] } });
    v.veId = row.id;
  }
}, 300_000);

afterAll(async () => {
  await worker?.stop();
  await closeAll();
  for (const n of nodes) await n.cleanup().catch(() => undefined);
  await db?.drop();
}, 120_000);

// Appends a line per run (so a re-run is visible) and fails where the marker file exists.
const SCRIPT = 'echo "run $(date +%s)" >> /runs.log; echo "ve $(hostname)"; if [ -e /fail-me ]; then echo "marker found" >&2; exit 1; fi\n';

describe('bulk jobs on two nodes', () => {
  it('canary 5, batches of 10, stop after 3 failures; the matrix shows each VE; re-run failed repeats only those', { timeout: 240_000 }, async () => {
    const failing = [2, 7, 12, 30]; // 1 in the canary, 2 in batch 1 (the threshold), 1 in a batch that must never start
    for (const i of failing) await writeFile(path.join(root(i), 'fail-me'), 'x');
    const selector = { nodeIds: nodes.map((n) => n.node.id), tags: [tag] };
    const preview = await admin.bulk.preview({ selector });
    expect(preview.total).toBe(N);
    expect(preview.ctids).toEqual(ves.map((v) => v.ctid));
    expect(preview.byNode.map((b) => b.count)).toEqual([25, 25]);

    const t0 = Date.now();
    const { jobId } = await admin.bulk.create({
      selector, expectTotal: preview.total,
      action: { type: 'script', script: SCRIPT, timeoutSec: 30 },
      rollout: { canarySize: 5, batchSize: 10, concurrency: 8, stopAfterFailures: 3 },
    });
    const job = await waitJob(jobId);
    const ms = Date.now() - t0;
    expect(job.status).toBe('partial');
    expect(job.stopReason).toBe('stopped after 3 failures (limit 3)');
    expect(job.counts).toMatchObject({ succeeded: 12, failed: 3, cancelled: 35, queued: 0, running: 0 });
    const by = new Map(job.items.map((i) => [i.ctid, i]));
    for (let i = 0; i < N; i++) {
      const it = by.get(ves[i].ctid)!;
      expect(it.batch).toBe(i < 5 ? 0 : 1 + Math.floor((i - 5) / 10));
      if (i >= 15) {
        expect({ i, status: it.status, exit: it.exitCode }).toEqual({ i, status: 'cancelled', exit: null });
        expect(await runsIn(i)).toBe(0);
      } else if (failing.includes(i)) {
        expect({ i, status: it.status, exit: it.exitCode, err: it.stderrTail }).toEqual({ i, status: 'failed', exit: 1, err: 'marker found\n' });
      } else {
        expect({ i, status: it.status, exit: it.exitCode, out: it.stdoutTail }).toEqual({ i, status: 'succeeded', exit: 0, out: `ve b${ves[i].ctid}.test\n` });
        expect(it.durationMs).toBeGreaterThan(0);
        expect(it.node).toBe(ves[i].node.node.name);
      }
    }
    // Full output on click: read from the VE's node.
    const log = await admin.bulk.log({ id: jobId, ctid: ves[2].ctid });
    expect(log.text).toContain(`ve b${ves[2].ctid}.test`);
    expect(log.text).toContain('marker found');
    // The whole job is in the audit log.
    const audit = await db.prisma.auditLog.findMany({ where: { targetType: 'bulkJob', targetId: jobId }, orderBy: { createdAt: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['bulk.job.created', 'bulk.job.finished']);
    expect(audit[1].details).toMatchObject({ succeeded: 12, failed: 3, cancelled: 35, status: 'partial' });
    console.log(`bulk job: 15 VEs in 2 batches (+35 cut off) in ${ms} ms`);

    // Re-run failed: fix one VE; only the three failed VEs run again.
    await rm(path.join(root(7), 'fail-me'));
    const rerun = await admin.bulk.rerunFailed({ id: jobId });
    expect(rerun.total).toBe(3);
    const j2 = await waitJob(rerun.jobId);
    expect(j2.rerunOfId).toBe(jobId);
    expect(Object.fromEntries(j2.items.map((i) => [i.ctid, i.status]))).toEqual({ [ves[2].ctid]: 'failed', [ves[7].ctid]: 'succeeded', [ves[12].ctid]: 'failed' });
    for (let i = 0; i < N; i++) expect({ i, runs: await runsIn(i) }).toEqual({ i, runs: [2, 7, 12].includes(i) ? 2 : i < 15 ? 1 : 0 });
  });

  it('cancel stops the job on the nodes; VEs not started end cancelled', { timeout: 120_000 }, async () => {
    const { jobId } = await admin.bulk.create({
      selector: { tags: [tag] }, action: { type: 'script', script: 'sleep 1\n', timeoutSec: 30 },
      rollout: { canarySize: 0, batchSize: 0, concurrency: 2 },
    });
    for (const end = Date.now() + 30_000; Date.now() < end;) {
      const j = await admin.bulk.get({ id: jobId });
      if (j.counts.succeeded >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await admin.bulk.cancel({ id: jobId });
    const j = await waitJob(jobId);
    expect(j.status).toBe('cancelled');
    expect(j.counts.cancelled).toBeGreaterThan(20);
    expect(j.counts.succeeded + j.counts.cancelled).toBe(N);
  });

  it('package update skips busybox VEs with a reason; power actions run as per-VE tasks', { timeout: 120_000 }, async () => {
    const two = [ves[40].ctid, ves[41].ctid];
    const p = await admin.bulk.preview({ selector: { ctids: two }, action: { type: 'packageUpdate', timeoutSec: 600, upgrade: true } });
    expect(p.willSkip).toBe(2);
    const pkg = await waitJob((await admin.bulk.create({ selector: { ctids: two }, action: { type: 'packageUpdate', timeoutSec: 600, upgrade: true } })).jobId);
    expect(pkg.status).toBe('succeeded');
    expect(pkg.items.map((i) => [i.status, i.error])).toEqual([['skipped', 'busybox template: no package manager'], ['skipped', 'busybox template: no package manager']]);

    const stop = await waitJob((await admin.bulk.create({ selector: { ctids: two }, action: { type: 'power', action: 'stop' } })).jobId);
    expect(stop.items.map((i) => i.status)).toEqual(['succeeded', 'succeeded']);
    expect(await ves[40].node.lxcState(ves[40].ctid)).toBe('STOPPED');
    // A script on a stopped VE is that VE's failure, named.
    const s = await waitJob((await admin.bulk.create({ selector: { ctids: two }, action: { type: 'script', script: 'true\n' } })).jobId);
    expect(s.items.map((i) => i.error)).toEqual([`VE_NOT_RUNNING: VE ${two[0]} is not running`, `VE_NOT_RUNNING: VE ${two[1]} is not running`]);
  });
});
