// Tasks API over real HTTP: scoped list/get, and the live SSE stream (tasks.watch) fed by pg_notify.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createHttpServer } from '@/server/http/server';
import { createUser } from '@/server/services/auth/users';
import { SESSION_COOKIE } from '@/server/services/auth/sessions';
import { enqueueTask } from '@/server/services/tasks/enqueue';
import { registerTaskHandler } from '@/server/operations/tasks/registry';
import { closeTaskEvents } from '@/server/operations/tasks/events';
import { startWorker, type PanelWorker } from '@/server/operations/worker';

let db: TestDatabase;
let worker: PanelWorker;
let server: ReturnType<typeof createHttpServer>['server'];
let base: string;
const password = 'correct horse battery';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function session(email: string) {
  const ctx = await createInnerContext(db.prisma, {});
  await createCaller(ctx).auth.login({ email, password });
  const c = ctx.cookies.find((x) => x.startsWith(`${SESSION_COOKIE}=`))!;
  const token = decodeURIComponent(c.slice(SESSION_COOKIE.length + 1).split(';')[0]);
  return { token, caller: createCaller(await createInnerContext(db.prisma, { sessionToken: token })) };
}

beforeAll(async () => {
  db = await createTestDatabase();
  process.env.DATABASE_URL = db.url; // the task event listener LISTENs on the panel's database
  registerTaskHandler({
    type: 'test.chatty',
    async run(ctx) {
      for (let i = 1; i <= 3; i++) {
        await sleep(300);
        await ctx.progress(i * 30, `step ${i}`);
        await ctx.log(`line ${i}`);
      }
      return { ok: true };
    },
  });
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 2 });
  ({ server } = createHttpServer({ prisma: db.prisma }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await worker?.stop();
  await closeTaskEvents();
  await db?.drop();
});

describe('tasks API', () => {
  it('customers see only the tasks of their own VEs; admins see all, with filters', async () => {
    const adminUser = await createUser(db.prisma, { email: `${uniq('a')}@example.test`, password, role: 'admin' });
    const alice = await createUser(db.prisma, { email: `${uniq('alice')}@example.test`, password, role: 'customer' });
    const bob = await createUser(db.prisma, { email: `${uniq('bob')}@example.test`, password, role: 'customer' });
    const node = await seedNode(db.prisma);
    const tpl = await seedTemplate(db.prisma);
    const mk = (ctid: number, ownerId: string) => db.prisma.ve.create({ data: { ctid, hostname: `h${ctid}.test`, nodeId: node.id, templateId: tpl.id, ownerId, state: 'running' } });
    const va = await mk(5101, alice.id);
    const vb = await mk(5102, bob.id);
    const ta = await db.prisma.task.create({ data: { type: 've.start', veId: va.id, ctid: va.ctid, nodeId: node.id, userId: adminUser.id, params: { passwordHash: '$6$secret' } } });
    const tb = await db.prisma.task.create({ data: { type: 've.stop', veId: vb.id, ctid: vb.ctid, nodeId: node.id, status: 'failed' } });
    const a = (await session(alice.email)).caller;
    const list = await a.tasks.list({});
    expect(list.items.map((t) => t.id)).toEqual([ta.id]);
    await expect(a.tasks.get({ id: tb.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const got = await a.tasks.get({ id: ta.id });
    expect(got.params).toEqual({ passwordHash: '[redacted]' });
    const admin = (await session(adminUser.email)).caller;
    expect((await admin.tasks.list({ nodeId: node.id })).total).toBe(2);
    expect((await admin.tasks.list({ status: ['failed'] })).items.map((t) => t.id)).toEqual([tb.id]);
    expect((await admin.tasks.list({ type: 've.' })).total).toBe(2);
    expect((await admin.tasks.list({ ctid: 5101 })).items[0]).toMatchObject({ id: ta.id, nodeName: node.name, userEmail: adminUser.email });
  });

  it('tasks.watch streams progress and log lines live over SSE until the task ends', async () => {
    const u = await createUser(db.prisma, { email: `${uniq('root')}@example.test`, password, role: 'admin' });
    const { token } = await session(u.email);
    const task = await enqueueTask(db.prisma, { type: 'test.chatty', ctid: 5200 });
    const res = await fetch(`${base}/api/trpc/tasks.watch?input=${encodeURIComponent(JSON.stringify({ id: task.id }))}`, {
      headers: { cookie: `${SESSION_COOKIE}=${encodeURIComponent(token)}`, accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events: Array<{ task: { status: string; progress: number }; logs: Array<{ line: string }> }> = [];
    const decoder = new TextDecoder();
    let buf = '';
    const reader = res.body!.getReader();
    for (const until = Date.now() + 30_000; Date.now() < until;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const chunk = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = chunk.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
        if (!data) continue;
        const parsed = JSON.parse(data);
        if (parsed?.task) events.push(parsed);
      }
      if (events.at(-1)?.task.status === 'succeeded') break;
    }
    await reader.cancel().catch(() => undefined);
    expect(events.at(-1)?.task).toMatchObject({ status: 'succeeded', progress: 100 });
    expect(events.flatMap((e) => e.logs.map((l) => l.line))).toEqual(['line 1', 'line 2', 'line 3']);
    // Updates arrived one by one while it ran, not only at the end.
    expect(events.filter((e) => e.task.status === 'running').length).toBeGreaterThanOrEqual(3);

    const anon = await fetch(`${base}/api/trpc/tasks.watch?input=${encodeURIComponent(JSON.stringify({ id: task.id }))}`, { headers: { accept: 'text/event-stream' } });
    const text = await anon.text();
    expect(text).toMatch(/UNAUTHORIZED|Sign in first/);
  });
});
