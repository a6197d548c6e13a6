// The VE page's extra controls on a real node: autostart in the VE's config, beancounters for the
// admin and the owning customer (another customer gets not-found).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, waitTasksDone, type PanelTestNode } from '@/test/fixtures/panel-node';
import { uniq } from '@/test/fixtures/panel';
import { closeAll } from '@/server/nodes/pool';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { createSession } from '@/server/services/auth/sessions';
import { startWorker, type PanelWorker } from '@/server/operations/worker';

let db: TestDatabase;
let N: PanelTestNode;
let worker: PanelWorker;
let admin: ReturnType<typeof createCaller>;
let ve: { veId: string; ctid: number; addresses: string[] };
const users = { owner: '', other: '' };

async function callerOf(userId: string) {
  const { token } = await createSession(db.prisma, userId);
  return createCaller(await createInnerContext(db.prisma, { sessionToken: token }));
}

async function done(taskId: string) {
  const [t] = await waitTasksDone(db.prisma, [taskId], 180_000);
  expect(t.status, t.error ?? '').toBe('succeeded');
  return t;
}

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  N = await makePanelTestNode(db.prisma, { ipv4Count: 1 });
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 2 });
  const pw = 'correct horse battery';
  admin = await callerOf((await createUser(db.prisma, { email: `${uniq('root')}@example.test`, password: pw, role: 'admin' })).id);
  users.owner = (await createUser(db.prisma, { email: `${uniq('own')}@example.test`, password: pw })).id;
  users.other = (await createUser(db.prisma, { email: `${uniq('oth')}@example.test`, password: pw })).id;
  const created = await N.createVe({ hostname: 'extras.test' });
  await done(created.taskId);
  await db.prisma.ve.update({ where: { id: created.veId }, data: { ownerId: users.owner } });
  ve = created;
}, 240_000);
afterAll(async () => {
  await worker?.stop();
  await closeAll();
  await N?.cleanup();
  await db?.drop();
});

const conf = () => readFile(path.join(N.tn.vzroot, 'conf', `${ve.ctid}.conf`), 'utf8');

describe('autostart', () => {
  it('turning autostart off and on writes ONBOOT in the VE config on the node and in the panel', { timeout: 180_000 }, async () => {
    expect(await conf()).toMatch(/^ONBOOT="?yes"?$/m);
    await done((await admin.ves.setOnboot({ id: ve.veId, onboot: false })).taskId);
    expect(await conf()).toMatch(/^ONBOOT="?no"?$/m);
    expect((await admin.ves.get({ id: ve.veId })).onboot).toBe(false);
    expect((await N.agent().call('ve.list', {})).ves.find((v) => v.ctid === ve.ctid)?.onboot).toBe(false);
    await done((await admin.ves.setOnboot({ id: ve.veId, onboot: true })).taskId);
    expect(await conf()).toMatch(/^ONBOOT="?yes"?$/m);
    expect((await admin.ves.get({ id: ve.veId })).onboot).toBe(true);
  });
});

describe('beancounters', () => {
  it('the admin and the owner see live counters of the running VE; another customer gets not-found', { timeout: 60_000 }, async () => {
    const a = await admin.ves.beancounters({ id: ve.veId });
    expect(a.running).toBe(true);
    expect(a.rows.map((r) => r.resource)).toEqual(expect.arrayContaining(['numproc', 'physpages', 'swappages', 'kmemsize', 'oomguarpages', 'diskspace', 'diskinodes']));
    const numproc = a.rows.find((r) => r.resource === 'numproc')!;
    expect(numproc.held).toBeGreaterThan(0);
    expect(numproc.limit).toBe(64);
    // 64 MiB of RAM is 16384 pages.
    expect(a.rows.find((r) => r.resource === 'physpages')!.limit).toBe(16384);
    const mine = await (await callerOf(users.owner)).portal.beancounters({ id: ve.veId });
    expect(mine.rows.find((r) => r.resource === 'physpages')!.held).toBeGreaterThan(0);
    await expect((await callerOf(users.other)).portal.beancounters({ id: ve.veId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
