import { describe, expect, it } from 'vitest';
import { parseSize, parseVzctl } from './vzctl-args';
import { parseVzlist, renderVzlist, selectRows, type Row } from './vzlist-args';
import { formatUbc } from './format';

describe('vzctl argument parsing', () => {
  it('maps create options to ve.create with byte sizes', () => {
    const c = parseVzctl(['create', '101', '--ostemplate', 'busybox', '--hostname', 'web', '--ipadd', '10.199.3.5/24', '--ipadd=10.199.3.6/24',
      '--ram', '256M', '--diskspace', '2G', '--numproc', '100:100', '--cpulimit', '50%', '--onboot', 'yes', '--userpasswd', 'root']);
    expect(c).toMatchObject({ method: 've.create', passwordFor: 'root', params: {
      ctid: 101, ostemplate: 'busybox', hostname: 'web', ips: ['10.199.3.5/24', '10.199.3.6/24'], ram: 256 * 2 ** 20, diskspace: 2 * 2 ** 30,
      numproc: 100, cpulimit: 50, onboot: true,
    } });
  });
  it('never takes a password from argv', () => {
    expect(() => parseVzctl(['set', '101', '--userpasswd', 'root:hunter2'])).toThrow(/stdin/);
  });
  it('maps set --save, stop --fast, exec and exit-code verbs', () => {
    expect(parseVzctl(['set', '101', '--ram', '1G', '--save']).params).toEqual({ ctid: 101, ram: 2 ** 30, save: true });
    expect(parseVzctl(['set', '101', '--nameserver', '1.1.1.1']).params).toEqual({ ctid: 101, nameservers: ['1.1.1.1'], save: false });
    expect(parseVzctl(['stop', '101', '--fast'])).toMatchObject({ method: 've.stop', params: { ctid: 101, fast: true } });
    expect(parseVzctl(['exec2', '101', 'ls', '-l', '/'])).toMatchObject({ method: 've.exec', params: { ctid: 101, script: 'ls -l /' }, print: 'exec2' });
    expect(parseVzctl(['exec', '101'])).toMatchObject({ scriptFromStdin: true });
    expect(parseVzctl(['chkpnt', '101'])).toMatchObject({ method: 've.checkpoint', params: { ctid: 101, stop: true } });
    expect(parseVzctl(['restore', '101', '--dumpfile', '/vz/dump/Dump.101'])).toMatchObject({ method: 've.restore', params: { ctid: 101, file: '/vz/dump/Dump.101' } });
    expect(() => parseVzctl(['start', 'abc'])).toThrow(/CTID/);
    expect(() => parseVzctl(['frobnicate', '101'])).toThrow(/unknown verb/);
  });
  it('reads vzctl sizes (diskspace without a suffix is KiB)', () => {
    expect(parseSize('1048576', 1024)).toBe(2 ** 30);
    expect(parseSize('1G:2G')).toBe(2 * 2 ** 30);
    expect(() => parseSize('lots')).toThrow();
  });
  it('reads a bare B as bytes, whatever the option\'s default unit', () => {
    expect(parseSize('1048576B', 1024)).toBe(1048576);
    expect(parseSize('4096b', 1024 * 1024)).toBe(4096);
    expect(parseSize('2GB', 1024)).toBe(2 * 2 ** 30);
    expect(parseVzctl(['set', '101', '--diskspace', '2147483648B']).params).toMatchObject({ diskspace: 2 ** 31 });
  });
});

describe('vzlist', () => {
  const rows: Row[] = [
    { ctid: 102, hostname: 'b', ips: ['10.0.0.2/24'], status: 'stopped', onboot: false, ostemplate: 'busybox', ram: 2 ** 28, swap: 0, diskspace: 2 ** 30, diskinodes: 1000, numproc: 100, cpuunits: 1000, cpulimit: 0, cpus: 0 },
    { ctid: 101, hostname: 'a', ips: ['10.0.0.1/24'], status: 'running', onboot: true, ostemplate: 'busybox', ram: 2 ** 29, swap: 0, diskspace: 2 ** 30, diskinodes: 1000, numproc: 100, cpuunits: 1000, cpulimit: 0, cpus: 0, nproc: 4 },
  ];
  it('shows running VEs by default, all with -a, and sorts', () => {
    expect(renderVzlist(selectRows(rows, parseVzlist([])), parseVzlist([]))).toBe('CTID NPROC STATUS  IP_ADDR  HOSTNAME\n 101     4 running 10.0.0.1 a\n');
    const o = parseVzlist(['-a', '-H', '-o', 'ctid,hostname', '-s', '-ctid']);
    expect(renderVzlist(selectRows(rows, o), o)).toBe('102 b\n101 a\n');
    expect(renderVzlist(selectRows(rows, parseVzlist(['-S', '-1'])), parseVzlist(['-S', '-1']))).toBe('102\n');
    const j = parseVzlist(['-a', '-j', '-o', 'ctid,ram']);
    expect(JSON.parse(renderVzlist(selectRows(rows, j), j))).toEqual([{ ctid: 102, ram: 2 ** 28 }, { ctid: 101, ram: 2 ** 29 }]);
    expect(() => parseVzlist(['-o', 'bogus'])).toThrow(/unknown field/);
  });
  it('prints beancounters like /proc/user_beancounters', () => {
    const t = formatUbc(101, [{ resource: 'numproc', held: 5, maxheld: null, barrier: 64, limit: 64, failcnt: 3 }, { resource: 'swappages', held: 0, maxheld: null, barrier: 0, limit: null, failcnt: 0 }]);
    expect(t.split('\n')[1]).toMatch(/^101: numproc\s+5\s+-\s+64\s+64\s+3$/);
    expect(t).toContain('9223372036854775807');
  });
});

describe('vzctl snapshot verbs (OpenVZ 7)', () => {
  const id = '0b0e2f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
  it('maps snapshot, snapshot-list, snapshot-switch and snapshot-delete to ve.snapshot.*', () => {
    expect(parseVzctl(['snapshot', '101', '--name', 'pre upgrade'])).toMatchObject({ method: 've.snapshot.create', params: { ctid: 101, name: 'pre upgrade' } });
    expect(parseVzctl(['snapshot-list', '101', '-H'])).toMatchObject({ method: 've.snapshot.list', print: 'snapshot-list-noheader' });
    expect(parseVzctl(['snapshot-switch', '101', '--id', `{${id}}`, '--skip-resume'])).toMatchObject({ method: 've.snapshot.rollback', params: { ctid: 101, id, start: false } });
    expect(parseVzctl(['snapshot-delete', '101', `--id=${id.toUpperCase()}`])).toMatchObject({ method: 've.snapshot.delete', params: { ctid: 101, id } });
  });
  it('needs a UUID for switch and delete and knows no other options', () => {
    expect(() => parseVzctl(['snapshot-switch', '101'])).toThrow(/UUID/);
    expect(() => parseVzctl(['snapshot-delete', '101', '--id', '12'])).toThrow(/UUID/);
    expect(() => parseVzctl(['snapshot', '101', '--id', id])).toThrow(/unknown option --id/);
  });
});
