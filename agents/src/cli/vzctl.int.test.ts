// vzctl/vzlist against a real vzagentd and real LXC: OpenVZ verbs, exit codes, journal and locks.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { makeTestNode, type TestNode } from '../lxc/test-env';
import { lxcInitPid, lxcState } from '../lxc/lxc-cli';
import { listCtids } from '../lxc/ve-store';
import { callDaemon } from './daemon-client';
import { ensureAgentBuilt } from '@/test/fixtures/agent-build';

const repo = path.resolve(import.meta.dirname, '..', '..', '..');
let node: TestNode;
let daemon: LocalDaemon;
let socket: string;
let ctid: number;
let ip: string;

function cli(bin: 'vzctl' | 'vzlist' | 'vzagent', args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(path.join(repo, 'agents/bin', bin), ['--socket', socket, '--vzroot', node.vzroot, ...args]);
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    c.stdin.end(input);
  });
}
const vzctl = (...a: string[]) => cli('vzctl', a);

/** vzctl under a pty from script(1), as from an admin's terminal; `keys` are typed once it has had time to attach. */
function vzctlInPty(args: string[], keys: string): Promise<{ code: number; out: string }> {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [path.join(repo, 'agents/bin/vzctl'), '--socket', socket, '--vzroot', node.vzroot, ...args].map(q).join(' ');
  return new Promise((resolve, reject) => {
    const c = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { env: { ...process.env, TERM: 'xterm' } });
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const typing = setTimeout(() => c.stdin.write(keys), 2500);
    const killer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('error', reject);
    c.on('close', (code) => {
      clearTimeout(typing);
      clearTimeout(killer);
      resolve({ code: code ?? -1, out });
    });
  });
}
const startDaemon = async () => {
  daemon = await ensureLocalDaemon({ vzroot: node.vzroot, socket, bridge: node.bridge, env: { VZ_VE_NETWORKS: '10.199.0.0/16' } });
};

beforeAll(async () => {
  await ensureAgentBuilt();
  node = await makeTestNode();
  socket = path.join(node.vzroot, 'run', 'vzagentd.sock');
  await startDaemon();
  ctid = node.ctid();
  ip = node.ip();
});

afterAll(async () => {
  await daemon?.stop('SIGKILL');
  await node?.cleanup();
});

describe('vzctl on a node', () => {
  it('answers --help of vzctl, vzlist and vzagent with its usage on stdout and exit 0, and `exec CTID ls --help` is not help', async () => {
    for (const bin of ['vzctl', 'vzlist', 'vzagent'] as const) {
      const r = await cli(bin, ['--help']);
      expect({ bin, code: r.code }).toEqual({ bin, code: 0 });
      expect(r.stdout).toMatch(new RegExp(`^usage: ${bin} `));
    }
    expect((await vzctl('exec', '999999', 'ls', '--help')).stdout).not.toMatch(/^usage:/);
  });

  it('creates (password on stdin), starts, runs exec2 with the exit code, lists and reports ubc', async () => {
    const c = await cli('vzctl', ['create', String(ctid), '--ostemplate', 'busybox', '--hostname', 'cli-ve', '--ipadd', ip, '--ram', '128M', '--diskspace', '65536', '--numproc', '80', '--userpasswd', 'root'], 'pw from stdin\n');
    expect(c.stderr).not.toMatch(/pw from stdin/);
    expect(c.code).toBe(0);
    expect((await vzctl('create', String(ctid), '--ostemplate', 'busybox')).code).toBe(44);
    expect((await vzctl('create', String(node.ctid()), '--ostemplate', 'nope')).code).toBe(91);
    expect((await vzctl('create', String(node.ctid()), '--ostemplate', 'busybox', '--ipadd', ip)).code).toBe(78);
    expect((await vzctl('start', String(ctid))).code).toBe(0);
    expect((await vzctl('start', String(ctid))).code).toBe(32);
    const e = await vzctl('exec2', String(ctid), 'hostname; exit 7');
    expect(e).toMatchObject({ code: 7, stdout: 'cli-ve\n' });
    const s = await cli('vzctl', ['exec2', String(ctid)], 'echo from-stdin-script\n');
    expect(s.stdout).toBe('from-stdin-script\n');
    const l = await cli('vzlist', ['-a', '-j', '-o', 'ctid,hostname,status,ip,numproc']);
    expect(JSON.parse(l.stdout)).toEqual([{ ctid, hostname: 'cli-ve', status: 'running', ip: ip.split('/')[0], numproc: expect.any(Number) }]);
    const u = await vzctl('ubc', String(ctid));
    expect(u.stdout).toMatch(new RegExp(`^${ctid}: numproc\\s+\\d+\\s+\\d+\\s+80\\s+80\\s+0$`, 'm'));
    // maxheld is a number wherever the kernel keeps a peak; '-' only where it keeps none.
    const maxheld = Object.fromEntries(u.stdout.trim().split('\n').slice(1).map((l) => l.replace(/^\d+:/, '').trim().split(/\s+/)).map((c) => [c[0], c[2]]));
    const v1 = !existsSync('/sys/fs/cgroup/cgroup.controllers');
    const peaks = ['numproc', 'physpages', 'oomguarpages', ...(v1 ? ['kmemsize'] : [])];
    for (const r of peaks) expect({ r, maxheld: maxheld[r] }).toEqual({ r, maxheld: expect.stringMatching(/^\d+$/) });
    expect(Number(maxheld.physpages)).toBeGreaterThan(0);
    expect({ diskspace: maxheld.diskspace, diskinodes: maxheld.diskinodes }).toEqual({ diskspace: '-', diskinodes: '-' });
    const st = await vzctl('status', String(ctid));
    expect(st.stdout).toBe(`CTID ${ctid} exist mounted running\n`);
  });

  it('enter gives a root shell in the VE, console attaches to its /dev/console until Ctrl-a q, and console refuses a non-terminal', async () => {
    const e = await vzctlInPty(['enter', String(ctid)], 'echo "in=$(hostname) uid=$(id -u)"; exit 5\n');
    expect(e.out).toMatch(/in=cli-ve uid=0/);
    expect(e.code).toBe(5);
    const c = await vzctlInPty(['console', String(ctid)], '\x01q');
    expect(c.out).toMatch(/Connected to tty 0/);
    expect(c.code).toBe(0);
    const n = await vzctl('console', String(ctid));
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/console needs a terminal/);
    const gone = await vzctl('enter', String(node.ctid()));
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/does not exist/);
  });

  it('answers set --netif_add/--netif_del with UNSUPPORTED (exit 3) saying why, and documents it in --help', async () => {
    for (const opt of ['--netif_add', '--netif_del']) {
      const r = await vzctl('set', String(ctid), opt, 'eth1', '--save');
      expect({ opt, code: r.code }).toEqual({ opt, code: 3 });
      expect(r.stderr).toMatch(/exactly one interface, eth0/);
    }
    const help = (await vzctl('--help')).stdout;
    expect(help).toMatch(/console CTID/);
    expect(help).toMatch(/--netif_add\/--netif_del are not supported/);
  });

  // busybox sh runs its own `free` applet (sysinfo(2), host-wide); the template's /usr/bin/free reads LXCFS.
  it('changes ram live with set --save (free inside shows it) and refuses a bad hostname', async () => {
    expect((await vzctl('set', String(ctid), '--ram', '160M', '--save')).code).toBe(0);
    expect((await vzctl('exec2', String(ctid), '/usr/bin/free -k | grep Mem')).stdout).toMatch(/Mem:\s+163840\s/);
    const bad = await vzctl('set', String(ctid), '--hostname', 'a;touch /tmp/pwn', '--save');
    expect(bad.code).toBe(2);
  });

  it('a reboot from inside comes back: the daemon starts the VE again with its own root', async () => {
    const lxcpath = path.join(node.vzroot, 'lxc');
    const before = await lxcInitPid(ctid, lxcpath);
    expect((await vzctl('exec2', String(ctid), '(sleep 0.2; reboot) >/dev/null 2>&1 &')).code).toBe(0);
    let back = false;
    for (const until = Date.now() + 60_000; !back && Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
      const pid = await lxcInitPid(ctid, lxcpath).catch(() => undefined);
      back = !!pid && pid !== before && (await lxcState(ctid, lxcpath)) === 'RUNNING'
        && (await vzctl('exec2', String(ctid), 'stat -c %u /etc/passwd')).stdout === '0\n';
    }
    expect(back).toBe(true);
    expect((await vzctl('status', String(ctid))).stdout).toMatch(/running/);
  });

  it('answers VE_LOCKED (exit 9) while another operation holds the VE', async () => {
    // The exec holds the VE from when it runs until it ends: wait for it to run (a fixed wait lost the race
    // to a CLI start-up on a loaded box, and the stop then stopped the VE under the later tests).
    const mark = `busy-${randomBytes(4).toString('hex')}`;
    const slow = vzctl('exec2', String(ctid), `touch /tmp/${mark}; sleep 4`);
    const seen = path.join(node.vzroot, 'root', String(ctid), 'tmp', mark);
    for (const until = Date.now() + 30_000; !existsSync(seen) && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(seen)).toBe(true);
    const busy = await vzctl('stop', String(ctid));
    expect(busy.code).toBe(9);
    expect(busy.stderr).toMatch(/busy/);
    expect((await slow).code).toBe(0);
  });

  it('runs a create sent twice with one operation id once', async () => {
    const c2 = node.ctid();
    const opId = `op-${randomBytes(4).toString('hex')}`;
    const params = { ctid: c2, ostemplate: 'busybox', ips: [node.ip()], diskspace: 64 * 2 ** 20 };
    const [r1, r2] = await Promise.all([callDaemon(socket, 've.create', params, { opId }), callDaemon(socket, 've.create', params, { opId })]);
    expect(r1).toEqual(r2);
    const r3 = await callDaemon(socket, 've.create', params, { opId });
    expect(r3).toEqual(r1);
    expect((await listCtids(node.vzroot)).filter((x) => x === c2)).toHaveLength(1);
    expect((await vzctl('destroy', String(c2))).code).toBe(0);
  });

  it('keeps VEs running when the daemon is killed, and answers again after a restart', async () => {
    await daemon.stop('SIGKILL');
    expect(await lxcState(ctid, path.join(node.vzroot, 'lxc'))).toBe('RUNNING');
    await startDaemon();
    expect((await vzctl('status', String(ctid))).stdout).toMatch(/running/);
  });

  it('stops (31 when already stopped) and destroys', async () => {
    expect((await vzctl('stop', String(ctid), '--fast')).code).toBe(0);
    expect((await vzctl('stop', String(ctid))).code).toBe(31);
    expect((await vzctl('exec2', String(ctid), 'true')).code).toBe(31);
    expect((await vzctl('destroy', String(ctid))).code).toBe(0);
    expect((await vzctl('status', String(ctid))).stdout).toBe(`CTID ${ctid} deleted unmounted stopped\n`);
    expect((await cli('vzlist', ['-a', '-H'])).stdout).toBe('');
  });
});
