import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { veConfigSchema } from './schema';
import { LXCFS_MOUNTS, renderLxcConfig, type HostFacts } from './lxc-config';
import { onlyLxcfsHooks } from '../lxc/host-facts';
import { parseConfFile, renderConfFile } from './conf-file';
import { checkVeAddresses } from './network-check';
import { liveCgroupChanges, cgroupSettings, ioThrottleSettings } from './cgroup-map';

const golden = (name: string, text: string) => {
  const f = path.join(import.meta.dirname, '__golden__', name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(f, text);
  expect(text).toBe(readFileSync(f, 'utf8'));
};

const base = veConfigSchema.parse({
  ctid: 9101, hostname: 'web1.example.com', ostemplate: 'busybox', ips: ['10.199.3.5/24', '10.199.3.6', 'fd00:199::5/64'],
  gateway: '10.199.3.1', nameservers: ['10.199.3.1'], idmap: { uid: 1_065_536, gid: 1_065_536 },
  ram: 512 * 2 ** 20, swap: 128 * 2 ** 20, cpuunits: 2000, cpulimit: 50, cpus: 2, numproc: 300, diskspace: 2 ** 30, diskinodes: 100_000,
});
const v1: HostFacts = { version: 'v1', memsw: true, ioWeight: false, apparmor: false, lxcShare: '/usr/share/lxc' };
const v2: HostFacts = { version: 'v2', memsw: false, ioWeight: true, apparmor: true, lxcShare: '/usr/share/lxc' };
const paths = { vzroot: '/var/lib/vz', bridge: 'vzbr0' };

describe('LXC config rendering', () => {
  it('matches the cgroup v1 golden file', () => golden('ve-9101.v1.lxc.conf', renderLxcConfig(base, v1, paths)));
  it('matches the cgroup v2 golden file', () => golden('ve-9101.v2.lxc.conf', renderLxcConfig(base, v2, paths)));
  it('renders an unprivileged idmapped container with no ttys', () => {
    const t = renderLxcConfig(base, v1, paths);
    expect(t).toContain('lxc.idmap = u 0 1065536 65536');
    expect(t).toContain('lxc.rootfs.options = idmap=container');
    expect(t).toContain('lxc.tty.max = 0');
    expect(t).toContain('lxc.net.0.hwaddr = 02:56:00:00:23:8d');
  });
  it('binds LXCFS itself, after clearing the included hooks, only when the host says they are LXCFS\'s alone', () => {
    const t = renderLxcConfig(base, { ...v1, lxcfsMounts: true }, paths);
    const lines = t.split('\n');
    const clear = lines.indexOf('lxc.hook.mount =');
    expect(clear).toBeGreaterThan(lines.indexOf('lxc.include = /usr/share/lxc/config/userns.conf'));
    expect(lines[clear + 1]).toBe('lxc.hook.post-stop =');
    expect(lines).toContain('lxc.mount.entry = /var/lib/lxcfs/proc/meminfo proc/meminfo none bind,optional 0 0');
    expect(lines).toContain('lxc.mount.entry = /var/lib/lxcfs/sys/devices/system/cpu sys/devices/system/cpu none bind,optional 0 0');
    expect(lines.filter((l) => l.startsWith('lxc.mount.entry'))).toHaveLength(LXCFS_MOUNTS.length);
    // the agent's own post-stop hook comes after the clear, and is there either way (lxc/reboot.ts)
    expect(lines.indexOf('lxc.hook.post-stop = /var/lib/vz/hooks/ve-stopped')).toBeGreaterThan(clear + 1);
    const plain = renderLxcConfig(base, v1, paths);
    expect(plain).not.toMatch(/lxc\.hook\.mount|lxc\.mount\.entry|lxc\.hook\.post-stop =\n/);
    expect(plain).toContain('lxc.hook.post-stop = /var/lib/vz/hooks/ve-stopped');
  });
  it('takes common.conf.d\'s hooks for LXCFS\'s only when no other hook is there', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vz-confd-'));
    try {
      expect(onlyLxcfsHooks(path.join(dir, 'missing'))).toBe(false);
      expect(onlyLxcfsHooks(dir)).toBe(false); // no LXCFS: nothing to replace
      writeFileSync(path.join(dir, '00-lxcfs.conf'), 'lxc.hook.mount = /usr/share/lxcfs/lxc.mount.hook\nlxc.hook.post-stop = /usr/share/lxcfs/lxc.reboot.hook');
      writeFileSync(path.join(dir, 'README'), 'lxc.hook.mount = /not/read/without/.conf');
      expect(onlyLxcfsHooks(dir)).toBe(true);
      writeFileSync(path.join(dir, '10-site.conf'), 'lxc.hook.post-stop=/usr/local/bin/site-hook\n');
      expect(onlyLxcfsHooks(dir)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('refuses a path that would break a config line', () => {
    expect(() => renderLxcConfig(base, v1, { vzroot: '/tmp/x\nlxc.hook.pre-start = /tmp/pwn', bridge: 'vzbr0' })).toThrow(/unsafe/);
  });
});

describe('vzctl-style conf file', () => {
  it('round-trips through render and parse', () => {
    const text = renderConfFile(base, { root: '/var/lib/vz/root/9101', private: '/var/lib/vz/private/9101' });
    golden('ve-9101.conf', text);
    expect(parseConfFile(text)).toEqual(base);
  });
  it('rejects lines it cannot read safely', () => {
    expect(() => parseConfFile('VEID="9101"\nHOSTNAME=$(touch /tmp/pwn)\n')).toThrow(/cannot parse/);
  });
});

describe('validation of values that reach config files', () => {
  const bad = (patch: Record<string, unknown>) => veConfigSchema.safeParse({ ...base, ...patch }).success;
  it.each([
    ['hostname with shell', { hostname: 'a;touch /tmp/pwn' }],
    ['hostname with newline', { hostname: 'a\nlxc.hook.pre-start=/bin/sh' }],
    ['hostname with NUL', { hostname: 'a\0b' }],
    ['label too long', { hostname: 'a'.repeat(64) }],
    ['ctid too small', { ctid: 5 }],
    ['ctid not an integer', { ctid: 101.5 }],
    ['ip with newline', { ips: ['10.0.0.1\n'] }],
    ['ip garbage', { ips: ['10.0.0.300'] }],
    ['nameserver with space', { nameservers: ['1.1.1.1 2.2.2.2'] }],
    ['description with quote', { description: 'x" ONBOOT="yes' }],
    ['description with $()', { description: '$(id)' }],
    ['mac multicast', { mac: '01:00:00:00:00:01' }],
  ])('refuses %s', (_n, patch) => expect(bad(patch)).toBe(false));
  it('accepts a plain RFC 1123 hostname', () => expect(bad({ hostname: 'Node-1.example' })).toBe(true));
  it('refuses addresses outside the VE network and an off-link gateway', () => {
    expect(() => checkVeAddresses(base, ['10.199.0.0/16'])).not.toThrow();
    expect(() => checkVeAddresses({ ips: ['192.168.1.5/24'] }, ['10.199.0.0/16'])).toThrow(/outside the VE network/);
    expect(() => checkVeAddresses({ ips: ['10.199.3.5/24'], gateway: '10.199.4.1' })).toThrow(/gateway/);
    expect(() => checkVeAddresses({ ips: ['10.199.3.5/24', '10.199.3.5/24'] })).toThrow(/twice/);
  });
});

describe('cgroup mapping', () => {
  it('caps CPU at the lower of cpulimit and cpus', () => {
    expect(new Map(cgroupSettings(base, v1)).get('cpu.cfs_quota_us')).toBe('50000');
    expect(new Map(cgroupSettings({ ...base, cpulimit: 0 }, v2)).get('cpu.max')).toBe('200000 100000');
  });
  it('raises memsw before memory when the limit grows (v1)', () => {
    const ch = liveCgroupChanges(base, { ...base, ram: 2 ** 30 }, v1).map(([k]) => k);
    expect(ch).toEqual(['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes']);
    const down = liveCgroupChanges(base, { ...base, ram: 256 * 2 ** 20 }, v1).map(([k]) => k);
    expect(down).toEqual(['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']);
  });
  it('throttles the loop device by bytes and ops per second; 0 drops the rule (v1) or means max (v2)', () => {
    expect(ioThrottleSettings({ iolimit: 2_000_000, iopslimit: 0 }, '7:3', 'v1')).toEqual([
      ['blkio.throttle.read_bps_device', '7:3 2000000'], ['blkio.throttle.write_bps_device', '7:3 2000000'],
      ['blkio.throttle.read_iops_device', '7:3 0'], ['blkio.throttle.write_iops_device', '7:3 0'],
    ]);
    expect(ioThrottleSettings({ iolimit: 0, iopslimit: 300 }, '7:3', 'v2')).toEqual([['io.max', '7:3 rbps=max wbps=max riops=300 wiops=300']]);
    expect(() => ioThrottleSettings({ iolimit: 1, iopslimit: 1 }, '7:3 1\n', 'v1')).toThrow();
  });
  it('uses BFQ\'s weight knob when CFQ\'s is absent', () => {
    expect(new Map(cgroupSettings(base, { ...v1, ioWeight: true, bfqWeight: true })).has('blkio.bfq.weight')).toBe(true);
    expect(cgroupSettings(base, v1).some(([k]) => k.includes('weight'))).toBe(false);
  });
  it('round-trips IOLIMIT/IOPSLIMIT through the conf file', () => {
    const c = veConfigSchema.parse({ ...base, iolimit: 5_000_000, iopslimit: 250 });
    const back = parseConfFile(renderConfFile(c, { root: '/r', private: '/p' }));
    expect([back.iolimit, back.iopslimit]).toEqual([5_000_000, 250]);
  });
});

describe('cpus as a cpuset', () => {
  it('pins a VE to that many CPUs, spread by ctid, and to all of them for 0 or more than the host has', async () => {
    const { cpusetFor, parseCpuList } = await import('./cgroup-map');
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(() => parseCpuList('3-1')).toThrow();
    expect(cpusetFor(101, 1, [0, 1])).toBe('1');
    expect(cpusetFor(102, 1, [0, 1])).toBe('0');
    expect(cpusetFor(103, 2, [0, 1, 2, 3])).toBe('0,3');
    expect(cpusetFor(103, 0, [0, 1])).toBe('0,1');
    expect(cpusetFor(103, 8, [0, 1])).toBe('0,1');
  });
});
