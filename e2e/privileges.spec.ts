// Privilege separation: the process serving the panel (found by its listening socket, not by
// name) runs as the unprivileged vzpanel user, pages render from the root-owned build, and the
// local agent's socket is open to that user's group only.
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { test, expect, admin, login } from './fixtures';

/** Inodes of the sockets listening on TCP `port` (IPv4 and IPv6), from /proc/net. */
function listeningInodes(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) => readFileSync(f, 'utf8').split('\n').slice(1))
    .map((l) => l.trim().split(/\s+/))
    .filter((c) => c[1]?.endsWith(`:${hex}`) && c[3] === '0A')
    .map((c) => c[9]);
}

/** Pids holding one of these socket inodes open. */
function pidsWithSockets(inodes: string[]): number[] {
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => wanted.has(readlinkSync(`/proc/${pid}/fd/${fd}`)));
    } catch {
      return false;
    }
  });
}

const statusField = (pid: number, field: string): number[] =>
  (new RegExp(`^${field}:\\s+(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '').trim().split(/\s+/).map(Number);

test('the panel serves as an unprivileged user and reaches the agent through its socket group', async ({ page }) => {
  const port = Number(new URL(process.env.VZ_E2E_BASE_URL ?? '').port);
  const pids = pidsWithSockets(listeningInodes(port));
  expect(pids.length, `a process listening on ${port}`).toBeGreaterThan(0);
  for (const pid of pids) {
    const uids = statusField(pid, 'Uid');
    expect(uids, `uids of pid ${pid}`).toHaveLength(4);
    for (const uid of uids) expect(uid, `pid ${pid} runs with uid 0`).not.toBe(0);
    expect(statusField(pid, 'Gid')).not.toContain(0);
    expect(statusField(pid, 'Groups')).not.toContain(0);
  }

  // The app folder stays root's: the panel cannot change code that root runs (the agent).
  expect(statSync(path.resolve(import.meta.dirname, '..', 'agents', 'dist')).uid).toBe(0);
  const socket = statSync(path.join(process.env.VZ_E2E_LOG_DIR ?? '', 'vz', 'run', 'vzagentd.sock'));
  expect(socket.uid).toBe(0);
  expect(socket.mode & 0o777).toBe(0o660);
  expect(statusField(pids[0], 'Groups')).toContain(socket.gid);

  // Pages render and the local node answers (through the agent socket) under that user.
  await login(page, admin().email, admin().password);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByTestId('node-local').getByTestId('node-state')).toHaveText('online', { timeout: 60_000 });
});
