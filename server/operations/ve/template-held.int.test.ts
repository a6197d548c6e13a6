// A create trusts a template the node held a moment ago (no template.list per create); when the
// node lost it meanwhile, the create ensures it again (here: the node builds busybox) and succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, waitTasksDone, type PanelTestNode } from '@/test/fixtures/panel-node';
import { closeAll } from '@/server/nodes/pool';
import { startWorker, type PanelWorker } from '../worker';

let db: TestDatabase;
let N: PanelTestNode;
let worker: PanelWorker;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  N = await makePanelTestNode(db.prisma, { names: { ctidBase: 72600, ctidCount: 100, bridgePrefix: 'vzh172t', net: '10.199.173', tmpPrefix: '/tmp/h172-th-' } });
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 1 });
});
afterAll(async () => {
  await worker?.stop();
  await closeAll();
  await N?.cleanup();
  await db?.drop();
});

describe('recently held templates', () => {
  it('a node that lost the template since the last create gets it again, and the create succeeds', async () => {
    const first = await N.createVe();
    const [t1] = await waitTasksDone(db.prisma, [first.taskId], 300_000);
    expect(t1.status, t1.error ?? '').toBe('succeeded');

    // The node loses busybox behind the panel's back (the panel still trusts it for 30 s).
    const cache = path.join(N.tn.vzroot, 'template', 'cache');
    await rename(path.join(cache, 'busybox.json'), path.join(cache, 'busybox.json.h172-gone'));
    await rename(path.join(cache, 'busybox.tar.gz'), path.join(cache, 'busybox.tar.gz.h172-gone'));

    const second = await N.createVe();
    const [t2] = await waitTasksDone(db.prisma, [second.taskId], 300_000);
    expect(t2.status, t2.error ?? '').toBe('succeeded');
    expect(await N.lxcState(second.ctid)).toBe('RUNNING');
    const logs = await db.prisma.taskLog.findMany({ where: { taskId: second.taskId } });
    expect(logs.map((l) => l.line).join('\n')).toMatch(/template busybox is not cached on the node; building it/);
    // It was the trusted path: the first ve.create was refused, then the retry succeeded.
    const creates = (await readFile(N.daemon.logFile, 'utf8')).split('\n').filter((l) => l.includes('"operation finished"') && l.includes('"ve.create"'));
    expect(creates.map((l) => (JSON.parse(l) as { error?: string }).error ?? 'ok')).toEqual(['ok', 'TEMPLATE_NOT_FOUND', 'ok']);
  }, 600_000);
});
