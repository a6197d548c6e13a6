import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TRPCError } from '@trpc/server';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { createCaller } from './root';
import { createInnerContext } from './context';
import { createUser, ensureAdmin } from '@/server/services/auth/users';
import { totpAt, verifyTotp } from '@/server/services/auth/totp';
import { SESSION_COOKIE } from '@/server/services/auth/sessions';

let db: TestDatabase;
const password = 'correct horse battery';

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

// The cookie token a procedure set, as the browser would store it.
function sessionFrom(cookies: string[]): string | undefined {
  const c = cookies.find((x) => x.startsWith(`${SESSION_COOKIE}=`) && !x.includes('Max-Age=0'));
  return c ? decodeURIComponent(c.slice(SESSION_COOKIE.length + 1).split(';')[0]) : undefined;
}

async function caller(sessionToken?: string) {
  const ctx = await createInnerContext(db.prisma, { sessionToken });
  return { api: createCaller(ctx), ctx };
}

async function signIn(email: string, pw = password) {
  const { api, ctx } = await caller();
  const r = await api.auth.login({ email, password: pw });
  return { r, token: sessionFrom(ctx.cookies) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return e instanceof TRPCError ? e.code : String(e);
  }
}

describe('sign-in', () => {
  it('refuses a wrong password and an unknown e-mail with the same error', async () => {
    await createUser(db.prisma, { email: 'Ann@Example.com', password, role: 'customer' });
    const { api } = await caller();
    await expect(api.auth.login({ email: 'ann@example.com', password: 'wrong password!' })).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Wrong e-mail or password' });
    await expect(api.auth.login({ email: 'nobody@example.com', password })).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Wrong e-mail or password' });
  });

  it('logs in with the right password (e-mail case-insensitive), sets an httpOnly cookie, and logs out', async () => {
    const { api, ctx } = await caller();
    expect(await api.auth.login({ email: 'ANN@example.com', password })).toEqual({ ok: true });
    expect(ctx.cookies[0]).toMatch(/^vz_session=[\w-]{43}; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/);
    const token = sessionFrom(ctx.cookies)!;
    // Only the hash is stored.
    expect(await db.prisma.session.count({ where: { tokenHash: token } })).toBe(0);

    const signedIn = await caller(token);
    expect(await signedIn.api.auth.me()).toMatchObject({ email: 'ann@example.com', role: 'customer', totpEnabled: false });
    expect(await signedIn.api.auth.logout()).toEqual({ ok: true });
    expect(signedIn.ctx.cookies.at(-1)).toContain('Max-Age=0');
    expect(await (await caller(token)).api.auth.me()).toBeNull();
  });

  it('ends a session at its expiry and slides an active one forward', async () => {
    const { token } = await signIn('ann@example.com');
    const row = await db.prisma.session.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    // Half a day from expiry: the next request slides it forward and re-sends the cookie.
    await db.prisma.session.update({ where: { id: row.id }, data: { expiresAt: new Date(Date.now() + 12 * 3600_000) } });
    const active = await caller(token);
    expect(await active.api.auth.me()).toMatchObject({ email: 'ann@example.com' });
    expect((await db.prisma.session.findUniqueOrThrow({ where: { id: row.id } })).expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600_000);
    // Eight days on without a request (the clock moved, not the row: sessions are remembered per process), it has expired.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 8 * 24 * 3600_000);
      expect(await (await caller(token)).api.auth.me()).toBeNull();
    } finally {
      vi.useRealTimers();
    }
    expect(await db.prisma.session.count({ where: { id: row.id } })).toBe(0);
  });

  it('keeps customers out of admin procedures and anonymous users out of everything but public ones', async () => {
    const { token } = await signIn('ann@example.com');
    const customer = (await caller(token)).api;
    expect(await codeOf(customer.nodes.list())).toBe('FORBIDDEN');
    expect(await codeOf(customer.apiKeys.list())).toBe('FORBIDDEN');
    const anon = (await caller()).api;
    expect(await codeOf(anon.nodes.list())).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.auth.totp.setup())).toBe('UNAUTHORIZED');
    expect(await anon.health()).toMatchObject({ db: 'ok' });
  });
});

describe('admin bootstrap', () => {
  it('creates one admin, then never a second one or a new password', async () => {
    const first = await ensureAdmin(db.prisma, { email: 'root@example.com' });
    expect(first.created).toBe(true);
    expect(first.password).toMatch(/^\S{20}$/);
    const again = await ensureAdmin(db.prisma, { email: 'other@example.com', password: 'another password' });
    expect(again).toEqual({ created: false, email: 'root@example.com' });
    expect(await db.prisma.user.count({ where: { role: 'admin' } })).toBe(1);
    const { r } = await signIn('root@example.com', first.password!);
    expect(r).toEqual({ ok: true });
  });
});

describe('TOTP second factor', () => {
  it('enables TOTP, then requires a code at sign-in; a backup code works once', async () => {
    await createUser(db.prisma, { email: 'bob@example.com', password, role: 'admin' });
    const { token } = await signIn('bob@example.com');
    const bob = (await caller(token)).api;
    const { secret, uri } = await bob.auth.totp.setup();
    expect(uri).toContain(`secret=${secret}`);
    await expect(bob.auth.totp.enable({ code: '000000' === totpAt(secret, Date.now()) ? '111111' : '000000' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const { backupCodes } = await bob.auth.totp.enable({ code: totpAt(secret, Date.now()) });
    expect(backupCodes).toHaveLength(10);
    expect(await (await caller(token)).api.auth.me()).toMatchObject({ totpEnabled: true });

    // Password alone now yields a ticket, not a session.
    const step1 = await caller();
    const r = await step1.api.auth.login({ email: 'bob@example.com', password });
    expect(r).toMatchObject({ twoFactorRequired: true });
    expect(step1.ctx.cookies).toHaveLength(0);
    const ticket = (r as { ticket: string }).ticket;
    // The ticket is not a session.
    expect(await (await caller(ticket)).api.auth.me()).toBeNull();

    const step2 = await caller();
    await expect(step2.api.auth.verifyTotp({ ticket, code: '12345' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // The next 30 s step is inside the ±1 window and not a replay of the enabling code.
    expect(await step2.api.auth.verifyTotp({ ticket, code: totpAt(secret, Date.now() + 30_000) })).toEqual({ ok: true, usedBackupCode: false });
    const sess = sessionFrom(step2.ctx.cookies);
    expect(await (await caller(sess)).api.auth.me()).toMatchObject({ email: 'bob@example.com' });
    // A used ticket cannot be used again.
    await expect((await caller()).api.auth.verifyTotp({ ticket, code: totpAt(secret, Date.now() + 30_000) })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });

    // Backup code: accepted once, refused the second time.
    const t2 = (await (await caller()).api.auth.login({ email: 'bob@example.com', password })) as { ticket: string };
    const b = await caller();
    expect(await b.api.auth.verifyTotp({ ticket: t2.ticket, code: backupCodes[0].toUpperCase() })).toEqual({ ok: true, usedBackupCode: true });
    const t3 = (await (await caller()).api.auth.login({ email: 'bob@example.com', password })) as { ticket: string };
    await expect((await caller()).api.auth.verifyTotp({ ticket: t3.ticket, code: backupCodes[0] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    // Disable with a backup code; then the password alone signs in again.
    const signedIn = (await caller(sessionFrom(b.ctx.cookies))).api;
    expect(await signedIn.auth.totp.disable({ code: backupCodes[1] })).toEqual({ ok: true });
    expect((await signIn('bob@example.com')).r).toEqual({ ok: true });
  });
});

// Second-factor guessing is limited per user across tickets and totp.disable (in Postgres), with back-off
// and an audit entry; a right password no longer buys fresh guesses.
/** A user with TOTP on; returns its secret and a signed-in session token. */
async function userWithTotp(email: string) {
  const user = await createUser(db.prisma, { email, password, role: 'customer' });
  const session = (await signIn(email)).token!;
  const api = (await caller(session)).api;
  const { secret } = await api.auth.totp.setup();
  await api.auth.totp.enable({ code: totpAt(secret, Date.now()) });
  // A 6-digit code that no window around now accepts.
  let n = 100_000;
  while (verifyTotp(secret, String(n)) !== null) n++;
  return { id: user.id, secret, session, wrong: String(n) };
}

async function ticketFor(email: string): Promise<string> {
  const r = await (await caller()).api.auth.login({ email, password });
  return (r as { ticket: string }).ticket;
}

describe('second-factor guessing', () => {
  it('locks the account after 20 wrong codes over 4 tickets, refuses even the right code then, audits it, and backs off', async () => {
    const u = await userWithTotp('carol@example.com');
    const seen: string[] = [];
    for (let t = 0; t < 4; t++) {
      const ticket = await ticketFor('carol@example.com');
      for (let i = 0; i < 5; i++) seen.push(await codeOf((await caller()).api.auth.verifyTotp({ ticket, code: u.wrong })));
    }
    // Ten wrong codes are judged; from then on the account is locked, whichever ticket asks.
    expect(seen.slice(0, 10)).toEqual(Array(10).fill('BAD_REQUEST'));
    expect(seen.slice(10)).toEqual(Array(10).fill('TOO_MANY_REQUESTS'));
    const fresh = await ticketFor('carol@example.com');
    await expect((await caller()).api.auth.verifyTotp({ ticket: fresh, code: totpAt(u.secret, Date.now() + 30_000) })).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    // totp.disable shares the limit.
    await expect((await caller(u.session)).api.auth.totp.disable({ code: totpAt(u.secret, Date.now() + 30_000) })).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    const audit = await db.prisma.auditLog.findMany({ where: { action: 'auth.totp.locked', targetId: u.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 'denied', actorLabel: 'carol@example.com' });

    // Let the first lockout run out: ten more wrong codes lock it again, for twice as long.
    const key = `totp:${u.id}`;
    const first = await db.prisma.authThrottle.findUniqueOrThrow({ where: { key } });
    expect(first.lockedUntil!.getTime() - Date.now()).toBeGreaterThan(4 * 60_000);
    await db.prisma.authThrottle.update({ where: { key }, data: { lockedUntil: new Date(Date.now() - 1000) } });
    const again: string[] = [];
    for (let t = 0; t < 3; t++) {
      const ticket = await ticketFor('carol@example.com');
      for (let i = 0; i < 4; i++) again.push(await codeOf((await caller()).api.auth.verifyTotp({ ticket, code: u.wrong })));
    }
    expect(again.filter((c) => c === 'BAD_REQUEST')).toHaveLength(10);
    const second = await db.prisma.authThrottle.findUniqueOrThrow({ where: { key } });
    const left = second.lockedUntil!.getTime() - Date.now();
    expect(left).toBeGreaterThan(9 * 60_000);
    expect(left).toBeLessThanOrEqual(10 * 60_000);
    expect(await db.prisma.auditLog.count({ where: { action: 'auth.totp.locked', targetId: u.id } })).toBe(2);

    // Once the lockout is over, the right code signs in and clears the count.
    await db.prisma.authThrottle.update({ where: { key }, data: { lockedUntil: new Date(Date.now() - 1000) } });
    const ok = await ticketFor('carol@example.com');
    expect(await (await caller()).api.auth.verifyTotp({ ticket: ok, code: totpAt(u.secret, Date.now() + 30_000) })).toEqual({ ok: true, usedBackupCode: false });
    expect(await db.prisma.authThrottle.count({ where: { key } })).toBe(0);
  });

  it('limits totp.disable the same way: wrong codes and wrong passwords count, then the right code is refused', async () => {
    const u = await userWithTotp('dave@example.com');
    const api = (await caller(u.session)).api;
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push(await codeOf(api.auth.totp.disable({ code: u.wrong })));
    for (let i = 0; i < 5; i++) seen.push(await codeOf(api.auth.totp.disable({ code: totpAt(u.secret, Date.now()), password: 'not the password' })));
    expect(seen).toEqual(Array(10).fill('BAD_REQUEST'));
    await expect(api.auth.totp.disable({ code: totpAt(u.secret, Date.now() + 30_000), password })).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(await (await caller(u.session)).api.auth.me()).toMatchObject({ totpEnabled: true });
  });

  it('accepts one TOTP code once (the last accepted step is kept in Postgres)', async () => {
    const u = await userWithTotp('erin@example.com');
    const code = totpAt(u.secret, Date.now() + 30_000);
    expect(await (await caller()).api.auth.verifyTotp({ ticket: await ticketFor('erin@example.com'), code })).toMatchObject({ ok: true });
    await expect((await caller()).api.auth.verifyTotp({ ticket: await ticketFor('erin@example.com'), code })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
