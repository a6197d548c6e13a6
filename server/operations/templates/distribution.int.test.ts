// Template distribution between two real nodes (vzagentd + LXC each): an upload reaches both caches,
// a push to a stopped node fails with the reason and a retry makes it ready, a create on a node that
// lost the template gets it first and the VE runs, and a node-built template is pulled once into the
// panel's store and pushed on.
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { adminCaller } from '@/test/fixtures/panel';
import { makePanelTestNode, waitTasksDone, type PanelTestNode } from '@/test/fixtures/panel-node';
import { buildBusyboxTemplate } from '@/agents/src/templates/busybox';
import { cacheDir } from '@/agents/src/templates/cache';
import { sha256File } from '@/agents/src/templates/manifest';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { closeAgent } from '@/server/nodes/pool';
import { startWorker, type PanelWorker } from '@/server/operations/worker';
import { chooseNode } from '@/server/services/placement';
import { pushTemplate } from './transfer';
import { recordTemplateOnNode } from '@/server/services/templates';
import { uploadTemplate } from '@/server/services/templates/upload/store';
import { requestCreateVe } from '@/server/services/ves';

const work = mkdtempSync('/tmp/hd-dist-');
const limits = { maxUploadBytes: 1 << 28, maxUnpackedBytes: 1 << 28, maxEntries: 10_000 };
let db: TestDatabase;
let a: PanelTestNode;
let b: PanelTestNode;
let worker: PanelWorker | undefined;
let bDaemon: LocalDaemon | undefined;
let tarball = '';
const env = { VZPANEL_TEMPLATE_DIR: path.join(work, 'store'), VZ_TEMPLATE_SYNC_ATTEMPTS: '2', VZ_TEMPLATE_CHUNK_BYTES: String(256 * 1024) };

beforeAll(async () => {
  Object.assign(process.env, env);
  db = await createTestDatabase();
  a = await makePanelTestNode(db.prisma, { names: { bridgePrefix: 'vzhda', net: '10.199.161', ctidBase: 61_000, ctidCount: 400, tmpPrefix: '/tmp/hd-a-' } });
  b = await makePanelTestNode(db.prisma, { names: { bridgePrefix: 'vzhdb', net: '10.199.167', ctidBase: 61_500, ctidCount: 400, tmpPrefix: '/tmp/hd-b-' } });
  tarball = (await buildBusyboxTemplate(path.join(work, 'bb'))).tarball;
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  await bDaemon?.stop('SIGKILL').catch(() => undefined);
  await a?.cleanup();
  await b?.cleanup();
  await db?.drop();
  for (const k of Object.keys(env)) delete process.env[k];
  rmSync(work, { recursive: true, force: true });
});

const upload = () => uploadTemplate(db.prisma, createReadStream(tarball), { name: 'hdbox' }, { limits });
const syncTasks = async (templateId: string, since = new Date(0)) =>
  (await db.prisma.task.findMany({ where: { type: 'template.sync', createdAt: { gte: since }, params: { path: ['templateId'], equals: templateId } }, orderBy: { createdAt: 'asc' } })).map((t) => t.id);
const cacheRow = (templateId: string, nodeId: string) => db.prisma.templateCache.findUniqueOrThrow({ where: { templateId_nodeId: { templateId, nodeId } } });
const held = async (n: PanelTestNode, name: string) => (await n.agent().call('template.list', {})).templates.find((t) => t.name === name);

describe('template distribution', () => {
  it('an uploaded template reaches both nodes ahead of need: the rows say ready and each cache holds the same sha256', { timeout: 180_000 }, async () => {
    const up = await upload();
    const ids = await syncTasks(up.template.id);
    expect(ids).toHaveLength(2);
    for (const t of await waitTasksDone(db.prisma, ids, 120_000)) expect(t.status, t.error ?? '').toBe('succeeded');
    for (const n of [a, b]) {
      expect(await cacheRow(up.template.id, n.node.id)).toMatchObject({ state: 'ready', error: null, syncedAt: expect.any(Date) });
      expect(await held(n, 'hdbox')).toMatchObject({ sha256: up.version.sha256, sizeBytes: Number(up.version.sizeBytes) });
      expect(await sha256File(path.join(cacheDir(n.tn.vzroot), 'hdbox.tar.gz'))).toBe(up.version.sha256);
    }
    // A second push of the same version sends nothing: the node says it holds it.
    const again = await (await adminCaller(db.prisma)).templates.sync({ templateId: up.template.id, nodeId: b.node.id });
    const [t] = await waitTasksDone(db.prisma, again.taskIds, 60_000);
    expect(t.result).toMatchObject({ how: 'held', sha256: up.version.sha256 });
  });

  it('a push to a node whose agent is down says failed and why; placement prefers the ready node; a retry makes it ready', { timeout: 240_000 }, async () => {
    await b.daemon.stop('SIGKILL');
    await closeAgent(b.node.id);
    const since = new Date();
    const v2 = await upload();
    expect(v2.version).toMatchObject({ number: 2, cacheName: 'hdbox.v2' });
    const ids = await syncTasks(v2.template.id, since);
    expect(ids).toHaveLength(2);
    const done = await waitTasksDone(db.prisma, ids, 120_000);
    expect(Object.fromEntries(done.map((t) => [t.nodeId, t.status]))).toEqual({ [a.node.id]: 'succeeded', [b.node.id]: 'failed' });
    expect(done.find((t) => t.nodeId === b.node.id)!.attempts).toBe(2);
    const failed = await cacheRow(v2.template.id, b.node.id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/is unreachable: .*cannot reach vzagentd/);
    expect(await cacheRow(v2.template.id, a.node.id)).toMatchObject({ state: 'ready' });

    // b has more room, but a holds the newest version ready.
    const info = { ...(b.node.info as object), memory: { totalBytes: 256 * 1024 ** 3, availableBytes: 256 * 1024 ** 3 } };
    await db.prisma.node.update({ where: { id: b.node.id }, data: { info } });
    const req = { nodeIds: [a.node.id, b.node.id], ram: 64, diskspace: 64 };
    expect((await chooseNode(db.prisma, req)).node.id).toBe(b.node.id);
    expect((await chooseNode(db.prisma, { ...req, templateId: v2.template.id })).node.id).toBe(a.node.id);

    bDaemon = await ensureLocalDaemon({ vzroot: b.tn.vzroot, bridge: b.tn.bridge, env: { VZ_VE_NETWORKS: '10.199.0.0/16' } });
    const retry = await (await adminCaller(db.prisma)).templates.sync({ templateId: v2.template.id, nodeId: b.node.id });
    const [t] = await waitTasksDone(db.prisma, retry.taskIds, 120_000);
    expect(t.status, t.error ?? '').toBe('succeeded');
    expect(await cacheRow(v2.template.id, b.node.id)).toMatchObject({ state: 'ready', error: null });
    expect(await held(b, 'hdbox.v2')).toMatchObject({ sha256: v2.version.sha256 });
  });

  it('a create on a node that lacks the uploaded template copies it there first, and the VE runs', { timeout: 240_000 }, async () => {
    const tpl = await db.prisma.template.findUniqueOrThrow({ where: { name: 'hdbox' } });
    const dir = cacheDir(b.tn.vzroot);
    await rm(path.join(dir, 'hdbox.v2.tar.gz'));
    await rm(path.join(dir, 'hdbox.v2.json'));
    expect(await held(b, 'hdbox.v2')).toBeUndefined();
    const r = await requestCreateVe(db.prisma, { role: 'admin' }, { hostname: 'hd-dist.test', planId: b.planId, templateId: tpl.id, nodeId: b.node.id, password: 'dist test pw 1' });
    const [t] = await waitTasksDone(db.prisma, [r.taskId], 180_000);
    expect(t.status, t.error ?? '').toBe('succeeded');
    const lines = (await db.prisma.taskLog.findMany({ where: { taskId: r.taskId }, orderBy: { id: 'asc' } })).map((l) => l.line);
    expect(lines.some((l) => /copying template hdbox\.v2 .* to node/.test(l))).toBe(true);
    expect(await held(b, 'hdbox.v2')).toMatchObject({ sha256: (await db.prisma.templateVersion.findFirstOrThrow({ where: { cacheName: 'hdbox.v2' } })).sha256 });
    expect(await b.lxcState(r.ve.ctid)).toBe('RUNNING');
    expect(await db.prisma.ve.findUniqueOrThrow({ where: { id: r.ve.id } })).toMatchObject({ state: 'running', templateVersion: 2 });
  });

  it('a push that finds another push of the same name under way waits for it, then finds the template held', { timeout: 120_000 }, async () => {
    const body = await readFile(tarball);
    const manifest = { name: 'hdwait', os: 'busybox', version: '1', arch: 'amd64', sizeBytes: body.length, sha256: await sha256File(tarball) };
    const agent = b.agent();
    const first = await agent.call('template.receive.begin', { manifest });
    const second = pushTemplate(agent, b.node.name, tarball, manifest);
    await new Promise((r) => setTimeout(r, 3000));
    await agent.call('template.receive.chunk', { transfer: first.transfer!, offset: 0, data: body.toString('base64') });
    await agent.call('template.receive.commit', { transfer: first.transfer! });
    expect(await second).toBe('held');
    expect(await held(b, 'hdwait')).toMatchObject({ sha256: manifest.sha256 });
  });

  it('a template built on one node (no panel copy) is pulled once into the panel store and pushed to the other', { timeout: 180_000 }, async () => {
    // a's own busybox build under a new name: the panel knows it only from a's report.
    const own = (await a.agent().call('template.list', {})).templates.find((t) => t.name === 'busybox')!;
    const m = await a.agent().call('template.import', { path: path.join(cacheDir(a.tn.vzroot), 'busybox.tar.gz'), manifest: { ...own, name: 'hdnode' } }, { opId: `hd-import-${Date.now()}` });
    const t = (await recordTemplateOnNode(db.prisma, a.node.id, m))!;
    const v = await db.prisma.templateVersion.findFirstOrThrow({ where: { templateId: t.id } });
    expect(v).toMatchObject({ source: 'node', storagePath: null });
    const r = await (await adminCaller(db.prisma)).templates.sync({ templateId: t.id });
    for (const x of await waitTasksDone(db.prisma, r.taskIds, 120_000)) expect(x.status, x.error ?? '').toBe('succeeded');
    const stored = await db.prisma.templateVersion.findUniqueOrThrow({ where: { id: v.id } });
    expect(stored.storagePath).toBe(path.join(env.VZPANEL_TEMPLATE_DIR, 'hdnode', `${m.sha256}.tar.gz`));
    expect(existsSync(stored.storagePath!) && (await sha256File(stored.storagePath!))).toBe(m.sha256);
    expect(await held(b, 'hdnode')).toMatchObject({ sha256: m.sha256 });
    expect(await cacheRow(t.id, b.node.id)).toMatchObject({ state: 'ready' });
  });
});
