// A customer looking at the tasks of their own VE (portal.tasks, tasks.list, tasks.get) sees "support"
// for an admin and a plain failure message, never the admin's e-mail or the internal error; admins see all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, seedUser } from '@/test/fixtures/panel';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createSession } from '@/server/services/auth/sessions';

let db: TestDatabase;
const ids = { alice: '', admin: '', adminEmail: '', ve: '', failed: '', byAlice: '' };
const INTERNAL = 'ssh2: connect ECONNREFUSED 10.77.0.5:22 (node hv-07, /var/lib/vz/private/4242/root.img)';

beforeAll(async () => {
  db = await createTestDatabase();
  const [node, template, alice, admin] = await Promise.all([seedNode(db.prisma, { name: 'hv-07' }), seedTemplate(db.prisma), seedUser(db.prisma), seedUser(db.prisma, 'admin')]);
  Object.assign(ids, { alice: alice.id, admin: admin.id, adminEmail: admin.email });
  ids.ve = (await db.prisma.ve.create({ data: { ctid: 4242, hostname: 'a.test', nodeId: node.id, templateId: template.id, ownerId: alice.id, state: 'running' } })).id;
  const base = { veId: ids.ve, ctid: 4242, nodeId: node.id };
  const failed = await db.prisma.task.create({ data: { ...base, type: 've.set', status: 'failed', userId: admin.id, error: INTERNAL, errorCode: 'INTERNAL', message: INTERNAL, attempts: 3 } });
  await db.prisma.taskLog.createMany({ data: [
    { taskId: failed.id, level: 'info', line: 'applying limits' },
    { taskId: failed.id, level: 'warn', line: `attempt 1 of 3 failed (NODE_OFFLINE): ${INTERNAL}; retrying` },
    { taskId: failed.id, level: 'error', line: INTERNAL },
  ] });
  ids.failed = failed.id;
  ids.byAlice = (await db.prisma.task.create({ data: { ...base, type: 've.start', status: 'failed', userId: alice.id, error: 'VE 4242 is not running', errorCode: 'VE_NOT_RUNNING' } })).id;
  await db.prisma.task.create({ data: { ...base, type: 've.stop', status: 'failed', userId: admin.id, error: 'queue busy on hv-07', errorCode: 'BUSY' } });
});
afterAll(async () => {
  await db?.drop();
});

async function as(userId: string) {
  return createCaller(await createInnerContext(db.prisma, { sessionToken: (await createSession(db.prisma, userId)).token }));
}

describe('tasks as the VE owner sees them', () => {
  it('shows "support" and a plain message on every customer path; nothing internal leaks', async () => {
    const alice = await as(ids.alice);
    const views = [
      (await alice.portal.tasks({ veId: ids.ve })).items,
      (await alice.tasks.list({ veId: ids.ve })).items,
      [await alice.tasks.get({ id: ids.failed })],
    ];
    for (const items of views) {
      const text = JSON.stringify(items);
      expect(text).not.toContain(ids.adminEmail);
      expect(text).not.toContain(ids.admin);
      expect(text).not.toContain('ECONNREFUSED');
      expect(text).not.toContain('/var/lib/vz');
      const f = items.find((t) => t.id === ids.failed)!;
      expect(f).toMatchObject({ userEmail: 'support', userId: null, error: 'The operation failed on our side. Contact support if it happens again.', message: null });
    }
    const list = (await alice.portal.tasks({ veId: ids.ve })).items;
    // Their own task keeps their name and its user-facing message; a known code reads plainly.
    expect(list.find((t) => t.id === ids.byAlice)).toMatchObject({ userId: ids.alice, error: 'VE 4242 is not running' });
    expect(list.find((t) => t.type === 've.stop')).toMatchObject({ userEmail: 'support', error: expect.stringMatching(/^Another operation on this VE/) });
    expect((await alice.tasks.get({ id: ids.failed })).logs.map((l) => l.line)).toEqual(['applying limits']);
  });

  it('leaves the admin view unchanged', async () => {
    const t = await (await as(ids.admin)).tasks.get({ id: ids.failed });
    expect(t).toMatchObject({ userEmail: ids.adminEmail, error: INTERNAL, errorCode: 'INTERNAL' });
    expect(t.logs).toHaveLength(3);
  });
});
