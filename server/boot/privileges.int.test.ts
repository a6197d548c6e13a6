// The root-only preparation of the unprivileged panel, on real files, users, ACLs and a real
// unix socket: a checkout under a 0700 folder becomes readable (not listable, not writable) by
// vzpanel, an older install's data is handed over, and a root-only agent socket is opened to it.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ensurePanelUser, grantAppTraverse, grantSocket, ownDataDir } from './privileges';

const tmp = mkdtempSync('/tmp/priv-test-');
chmodSync(tmp, 0o755);
const servers: net.Server[] = [];
const user = ensurePanelUser('vzpanel');
const as = (...cmd: string[]) => spawnSync('runuser', ['-u', 'vzpanel', '--', ...cmd], { stdio: 'ignore' }).status === 0;

afterAll(async () => {
  for (const s of servers) s.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('privilege separation: root-only preparation', () => {
  it('ensurePanelUser is idempotent and gives a system account without a login shell', () => {
    expect(ensurePanelUser('vzpanel')).toEqual(user);
    expect(user.uid).not.toBe(0);
    expect(execFileSync('getent', ['passwd', 'vzpanel'], { encoding: 'utf8' })).toMatch(/:\/usr\/sbin\/nologin\n?$/);
  });

  it('a checkout under a 0700 folder: vzpanel may read the app but neither list the folder nor write the app', () => {
    const home = path.join(tmp, 'home');
    mkdirSync(path.join(home, 'repo'), { recursive: true, mode: 0o700 });
    chmodSync(home, 0o700);
    chmodSync(path.join(home, 'repo'), 0o755);
    writeFileSync(path.join(home, 'repo', 'main.ts'), 'x', { mode: 0o644 });
    writeFileSync(path.join(home, 'secret'), 'x', { mode: 0o600 });
    expect(as('test', '-r', path.join(home, 'repo', 'main.ts'))).toBe(false);
    grantAppTraverse(path.join(home, 'repo'), user);
    expect(as('test', '-r', path.join(home, 'repo', 'main.ts'))).toBe(true);
    expect(as('ls', home)).toBe(false);
    expect(as('test', '-r', path.join(home, 'secret'))).toBe(false);
    expect(as('test', '-w', path.join(home, 'repo', 'main.ts'))).toBe(false);
    expect(as('touch', path.join(home, 'repo', 'new'))).toBe(false);
    // A second start finds the way open and changes nothing.
    const acl = execFileSync('getfacl', ['-cp', home], { encoding: 'utf8' });
    grantAppTraverse(path.join(home, 'repo'), user);
    expect(execFileSync('getfacl', ['-cp', home], { encoding: 'utf8' })).toBe(acl);
  });

  it('an older install\'s data dir (pgdata of postgres, keys of root) is handed to vzpanel; one under a closed folder is refused', async () => {
    const data = path.join(tmp, 'data');
    mkdirSync(path.join(data, 'pgdata', 'base'), { recursive: true, mode: 0o700 });
    mkdirSync(path.join(data, 'keys'), { mode: 0o700 });
    writeFileSync(path.join(data, 'keys', 'panel_ed25519'), 'k', { mode: 0o600 });
    writeFileSync(path.join(data, 'pg-password'), 'p', { mode: 0o600 });
    const pg = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    execFileSync('chown', ['-R', `${pg}:${pg}`, path.join(data, 'pgdata')]);
    await ownDataDir(data, user);
    for (const p of ['', 'pgdata', 'pgdata/base', 'keys', 'keys/panel_ed25519', 'pg-password']) expect(statSync(path.join(data, p)).uid, p).toBe(user.uid);
    expect(statSync(path.join(data, 'pgdata')).mode & 0o777).toBe(0o700);

    const closed = path.join(tmp, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    await expect(ownDataDir(path.join(closed, 'data'), user)).rejects.toThrow(/cannot enter/);
  });

  it('a root-only agent socket (an agent started by an older root panel) is opened to the vzpanel group only', async () => {
    const dir = path.join(tmp, 'run');
    mkdirSync(dir, { mode: 0o700 });
    const sock = path.join(dir, 'vzagentd.sock');
    const srv = net.createServer((c) => c.end('ok\n'));
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(sock, r));
    chmodSync(sock, 0o600);
    chownSync(sock, 0, 0);
    const connect = () => as('node', '-e', `require('net').connect(${JSON.stringify(sock)}).on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`);
    expect(connect()).toBe(false);
    grantSocket(sock, user);
    expect(statSync(sock).gid).toBe(user.gid);
    expect(statSync(sock).mode & 0o777).toBe(0o660);
    expect(statSync(dir).mode & 0o777).toBe(0o710);
    expect(connect()).toBe(true);
    // Others still cannot.
    expect(spawnSync('runuser', ['-u', 'nobody', '--', 'node', '-e', `require('net').connect(${JSON.stringify(sock)}).on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`]).status).toBe(1);
  });
});
