// The reconciler on a real node compares only what changed: ve.list deltas after a full first pass,
// a full pass again after the agent restarts and every FULL_EVERY passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, type PanelTestNode } from '@/test/fixtures/panel-node';
import { closeAgent, closeAll } from '@/server/nodes/pool';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { reconcileNode } from './reconciler';
import { FULL_EVERY } from './reconcile-feed';

const MiB = 2 ** 20;
const sh = promisify(execFile);
let db: TestDatabase;
let N: PanelTestNode;
let restarted: LocalDaemon | undefined;
const ctids: number[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 5 });
  N = await makePanelTestNode(db.prisma);
  for (let i = 0; i < 4; i++) {
    const ctid = N.ctidBase + 500 + i;
    await N.agent().call('ve.create', { ctid, ostemplate: 'busybox', hostname: `sn-delta-${i}.test`, ram: 64 * MiB, diskspace: 64 * MiB, diskinodes: 8192, numproc: 64 }, { opId: `sn-delta-${ctid}` });
    await db.prisma.ve.create({ data: { ctid, hostname: `sn-delta-${i}.test`, nodeId: N.node.id, templateId: N.templateId, state: 'stopped' } });
    ctids.push(ctid);
  }
}, 300_000);
afterAll(async () => {
  await closeAll();
  await restarted?.stop('SIGKILL').catch(() => undefined);
  await N?.cleanup();
  await db?.drop();
});

const pass = async () => (await reconcileNode(db.prisma, N.node.id))!;
const settle = async () => { for (let i = 0; i < 3 && (await pass()).checked > 0;); };

describe('reconciler delta passes', () => {
  it('compares only the VEs changed since the last pass, and all of them after an agent restart', { timeout: 300_000 }, async () => {
    const first = await pass();
    expect(first).toMatchObject({ full: true, checked: 4 });
    await settle(); // rows the first pass wrote (drift) are looked at once more
    const quiet = await pass();
    expect(quiet).toMatchObject({ full: false, checked: 0, corrected: [] });

    // Behind the panel's back, through the agent: one VE renamed, another started.
    await N.agent().call('ve.set', { ctid: ctids[0], hostname: 'sn-renamed.test' }, { opId: `sn-set-${ctids[0]}` });
    await N.agent().call('ve.start', { ctid: ctids[1] }, { opId: `sn-start-${ctids[1]}` });
    const d = await pass();
    expect(d.full).toBe(false);
    expect(d.checked).toBe(2);
    expect(d.corrected).toEqual([{ ctid: ctids[1], from: 'stopped', to: 'running' }]);
    expect((await N.agent().call('node.info', {})).ves).toEqual({ total: 4, running: 1 }); // the heartbeat's count
    expect(d.drift.find((x) => x.ctid === ctids[0])?.fields).toContain('hostname');

    // A row changed in the panel is looked at too.
    await db.prisma.ve.update({ where: { ctid: ctids[2] }, data: { hostname: 'sn-panel-side.test' } });
    const p = await pass();
    expect(p.full).toBe(false);
    expect(p.drift.find((x) => x.ctid === ctids[2])?.fields).toContain('hostname');
    expect(p.checked).toBeLessThan(4);

    // A stop behind the agent's back too (the power state comes from the kernel's socket table).
    await sh('lxc-stop', ['-n', String(ctids[1]), '-P', `${N.tn.vzroot}/lxc`, '-k']);
    const s = await pass();
    expect(s.full).toBe(false);
    expect(s.corrected).toEqual([{ ctid: ctids[1], from: 'running', to: 'stopped' }]);

    // The agent restarts: its cursor is unknown now, so the answer and the pass are full.
    await N.daemon.stop('SIGTERM');
    await closeAgent(N.node.id);
    restarted = await ensureLocalDaemon({ vzroot: N.tn.vzroot, bridge: N.tn.bridge, env: { VZ_VE_NETWORKS: '10.199.0.0/16' } });
    const after = await pass();
    expect(after).toMatchObject({ full: true, checked: 4 });

    // And without any change, every FULL_EVERY-th pass is a full one.
    await settle();
    const kinds: boolean[] = [];
    for (let i = 0; i < FULL_EVERY; i++) kinds.push((await pass()).full);
    expect(kinds.filter(Boolean)).toHaveLength(1);
  });

  it('ve.list answers a delta to a known cursor and the full list to an unknown one', { timeout: 120_000 }, async () => {
    const all = await N.agent().call('ve.list', {});
    expect(all.full).toBe(true);
    expect(all.ves.map((v) => v.ctid)).toEqual(expect.arrayContaining(ctids));
    const none = await N.agent().call('ve.list', { since: { epoch: all.epoch!, gen: all.gen! } });
    expect(none).toMatchObject({ full: false, ves: [], removed: [] });
    await N.agent().call('ve.destroy', { ctid: ctids[3] }, { opId: `sn-destroy-${ctids[3]}` });
    const gone = await N.agent().call('ve.list', { since: { epoch: all.epoch!, gen: all.gen! } });
    expect(gone).toMatchObject({ full: false, ves: [], removed: [ctids[3]] });
    expect((await N.agent().call('ve.list', { since: { epoch: 'not-this-agent', gen: 1 } })).full).toBe(true);
  });
});
