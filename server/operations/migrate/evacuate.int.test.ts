// Admin procedures over tRPC against two real nodes: the dry run shows mode, checks and CRIU per node;
// evacuating a node moves a running VE (two-pass) and a stopped one (offline) by placement, with a report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { SESSION_COOKIE } from '@/server/services/auth/sessions';
import { setupMigEnv, type MigEnv } from '@/test/fixtures/migration-env';
import type { EvacuateResult } from '.';

let env: MigEnv;
let admin: ReturnType<typeof createCaller>;

beforeAll(async () => {
  env = await setupMigEnv({ concurrency: 3 });
  const password = 'correct horse battery';
  await createUser(env.db.prisma, { email: `root-${env.R}@example.test`, password, role: 'admin' });
  const ctx = await createInnerContext(env.db.prisma, {});
  await createCaller(ctx).auth.login({ email: `root-${env.R}@example.test`, password });
  const c = ctx.cookies.find((x) => x.startsWith(`${SESSION_COOKIE}=`))!;
  admin = createCaller(await createInnerContext(env.db.prisma, { sessionToken: decodeURIComponent(c.slice(SESSION_COOKIE.length + 1).split(';')[0]) }));
}, 300_000);

afterAll(async () => env?.close(), 120_000);

describe('migration procedures and node evacuation', () => {
  it('dry run names the mode, why, the checks and CRIU per node; evacuate moves a running and a stopped VE', async () => {
    const { A, B, nodeA, nodeB } = env;
    const run1 = await env.ve(8);
    const off = await env.ve(4, { stopped: true });

    const plan = await admin.ves.migratePlan({ id: run1.veId });
    expect(plan).toMatchObject({ ctid: run1.ctid, mode: 'two-pass', source: { id: nodeA.id }, target: { id: nodeB.id }, status: 'running' });
    // Without a usable CRIU, or (where ./vz install built one) with VEs that have a console, it is two-pass.
    expect(plan.reason).toMatch(/CRIU is not usable|do not offer CRIU migration/);
    expect(plan.checks.every((c) => c.ok)).toBe(true);
    expect(plan.nodes.map((n) => n.role)).toEqual(['source', 'target']);
    for (const n of plan.nodes) expect(n.criu.usable ? n.criu.reason : n.criu.reason.length).toBeTruthy();
    const offPlan = await admin.ves.migratePlan({ id: off.veId, targetNodeId: nodeB.id });
    expect(offPlan).toMatchObject({ mode: 'offline', status: 'stopped', phases: ['pre-flight', 'final-copy', 'verify', 'commit', 'start-on-target', 'cleanup'] });
    await expect(admin.ves.migratePlan({ id: off.veId, mode: 'two-pass' })).rejects.toThrow(/stopped: only offline migration applies/);
    expect(existsSync(path.join(B.vzroot, 'private', String(run1.ctid)))).toBe(false); // a dry run acts on nothing

    const preview = await admin.nodes.evacuate({ nodeId: nodeA.id, dryRun: true });
    expect(preview.taskId).toBeNull();
    expect(preview.items.map((i) => [i.ctid, i.target?.id])).toEqual([[run1.ctid, nodeB.id], [off.ctid, nodeB.id]].sort((a, b) => Number(a[0]) - Number(b[0])));

    const { taskId } = await admin.nodes.evacuate({ nodeId: nodeA.id, concurrency: 2, keepHours: 1 });
    const t = await env.waitTask(taskId!, 240_000);
    expect(t.error ?? '', (await env.taskLog(taskId!)).join('\n')).toBe('');
    const rep = t.result as unknown as EvacuateResult;
    expect(rep).toMatchObject({ total: 2, succeeded: 2, failed: 0, skipped: 0 });
    const byCtid = new Map(rep.items.map((i) => [i.ctid, i]));
    expect(byCtid.get(run1.ctid)).toMatchObject({ status: 'succeeded', mode: 'two-pass', target: { id: nodeB.id } });
    expect(byCtid.get(run1.ctid)!.pauseMs).toBeGreaterThan(0);
    expect(byCtid.get(off.ctid)).toMatchObject({ status: 'succeeded', mode: 'offline', target: { id: nodeB.id } });

    // Running VE: running on B only. Offline VE: registered on B, still stopped, same data; nothing left on A but .migrated.
    expect(await env.lxcState(B, run1.ctid)).toBe('RUNNING');
    expect(await env.lxcState(A, run1.ctid)).not.toMatch(/RUNNING|FROZEN/);
    expect(await env.badFiles(path.join(B.vzroot, 'root', String(run1.ctid)), run1.sums)).toEqual([]);
    expect(await env.lxcState(B, off.ctid)).toBe('STOPPED');
    expect(existsSync(path.join(B.vzroot, 'conf', `${off.ctid}.conf`))).toBe(true);
    expect(await env.badFiles(path.join(B.vzroot, 'private', String(off.ctid), 'root.img'), off.sums)).toEqual([]);
    const ves = await env.db.prisma.ve.findMany({ where: { id: { in: [run1.veId, off.veId] } } });
    expect(ves.map((v) => [v.ctid, v.nodeId, v.state]).sort()).toEqual([[run1.ctid, nodeB.id, 'running'], [off.ctid, nodeB.id, 'stopped']].sort());
    expect(existsSync(path.join(A.vzroot, 'conf', `${off.ctid}.conf`))).toBe(false);
    expect(await env.taskLog(taskId!)).toContain(`2 of 2 VE(s) moved off ${nodeA.name}, 0 failed, 0 skipped`);

    // And back with ves.migrate (placement picks the only other node): the task id comes at once.
    const back = await admin.ves.migrate({ id: run1.veId });
    expect(back.plan.target.id).toBe(nodeA.id);
    expect((await env.waitTask(back.taskId)).status).toBe('succeeded');
    expect(await env.lxcState(A, run1.ctid)).toBe('RUNNING');
  }, 400_000);
});
