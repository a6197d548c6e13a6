// Package update across Debian VEs through the node's shared cache: each file is fetched from the
// Debian mirror once per node, however many VEs update. Slow and uses the host's Debian mirror, so it
// runs only with VZ_TEST_DEBIAN=1 (VZ_TEST_DEBIAN_DIR=<dir with debian-12.tar.gz + .json> reuses a built
// template; else debootstrap builds one, ~70 s). The busybox proof of the same property is in
// agents/src/bulk/bulk.int.test.ts (always runs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, type PanelTestNode } from '@/test/fixtures/panel-node';
import { importTemplate } from '@/agents/src/templates/cache';
import { buildDebianTemplate } from '@/agents/src/templates/debian';
import { prebuiltDebian } from '@/test/fixtures/debian-build';
import { run } from '@/agents/src/sys/exec';
import { closeAll } from '@/server/nodes/pool';
import { startWorker, type PanelWorker } from '@/server/operations/worker';
import { createBulkJob, getBulkJob } from '@/server/services/bulk/jobs';

const enabled = process.env.VZ_TEST_DEBIAN === '1';
const MiB = 2 ** 20;
let db: TestDatabase;
let worker: PanelWorker;
let node: PanelTestNode;
const net = randomInt(100, 250);
const ctids: number[] = [];

describe.skipIf(!enabled)('package update through the node cache', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    node = await makePanelTestNode(db.prisma);
    // The cache listens on the bridge's address (the VEs' gateway); the bridge is this test's own.
    await run('ip', ['addr', 'add', `10.199.${net}.1/24`, 'dev', node.tn.bridge]);
    const t = (await prebuiltDebian('debian-12')) ?? await buildDebianTemplate(path.join(node.tn.vzroot, 'build'));
    await importTemplate(node.tn.vzroot, t.tarball, t.manifest);
    const tpl = await db.prisma.template.create({ data: { name: 'debian-12', os: 'debian', version: '12', arch: 'amd64', sizeBytes: 1n, sha256: '0'.repeat(64) } });
    const base = randomInt(40_000, 49_990);
    for (let i = 0; i < 3; i++) ctids.push(base + i);
    await Promise.all(ctids.map((ctid, i) => node.agent().call('ve.create', {
      ctid, ostemplate: 'debian-12', hostname: `deb${ctid}.test`, ips: [`10.199.${net}.${10 + i}/24`], gateway: `10.199.${net}.1`,
      ram: 256 * MiB, numproc: 256, diskspace: 1024 * MiB, diskinodes: 65536, start: true,
    }, { opId: `t-create-${ctid}` })));
    for (const ctid of ctids) await db.prisma.ve.create({ data: { ctid, hostname: `deb${ctid}.test`, nodeId: node.node.id, templateId: tpl.id, state: 'running' } });
    worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 2 });
  }, 900_000);

  afterAll(async () => {
    await worker?.stop();
    await node?.agent().call('bulk.aptCache', { action: 'stop' }).catch(() => undefined);
    await closeAll();
    await node?.cleanup();
    await db?.drop();
  }, 120_000);

  it('apt in three VEs: every file comes from upstream once, the package is installed in all', { timeout: 900_000 }, async () => {
    const { jobId } = await createBulkJob(db.prisma, { role: 'admin' }, {
      selector: { ctids }, action: { type: 'packageUpdate', packages: ['hello'], timeoutSec: 900 }, rollout: { canarySize: 1, batchSize: 0, concurrency: 3 },
    });
    let job = await getBulkJob(db.prisma, jobId);
    for (const end = Date.now() + 800_000; !['succeeded', 'partial', 'failed', 'cancelled'].includes(job.status) && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 1000));
      job = await getBulkJob(db.prisma, jobId);
    }
    for (const i of job.items) expect({ ctid: i.ctid, status: i.status, err: i.status === 'succeeded' ? '' : `${i.error} ${i.stderrTail}` }).toEqual({ ctid: i.ctid, status: 'succeeded', err: '' });
    const stats = await node.agent().call('bulk.aptCache', { action: 'stats' });
    const urls = Object.keys(stats.upstreamFetches);
    console.log(`cache: ${urls.length} files fetched upstream, hits ${stats.hits}, misses ${stats.misses}\n${urls.join('\n')}`);
    expect(urls.some((u) => /\/pool\/main\/h\/hello\/hello_.*\.deb$/.test(u))).toBe(true);
    expect(urls.some((u) => /\/dists\/bookworm\/(InRelease|main\/binary-amd64\/Packages)/.test(u))).toBe(true);
    for (const [u, n] of Object.entries(stats.upstreamFetches)) expect({ u, n }).toEqual({ u, n: 1 });
    // The other two VEs were served from the cache.
    expect(stats.hits).toBeGreaterThanOrEqual(2 * urls.filter((u) => /\.deb$|InRelease|Packages/.test(u)).length);
    const hello = await node.agent().call('bulk.exec', { items: ctids.map((ctid) => ({ ctid })), command: ['hello'] }, { opId: `t-hello-${ctids[0]}` });
    expect(hello.items.map((r) => r.stdoutTail.trim())).toEqual(['Hello, world!', 'Hello, world!', 'Hello, world!']);
  });
});
