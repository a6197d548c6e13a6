// The node-to-node key can only ever run an rsync receiver into one prepared VE root.
import { describe, expect, it } from 'vitest';
import { validateRecvCommand } from './rsync-recv';
import { knownHostsLine, parseRsyncStats } from './send';
import { migrationKeyLine } from './authorized-keys';
import { migratedName } from './state';

const root = '/var/lib/vz/root/30123';
const ok = `rsync --server -lHogDtpAXre.iLsfxCIvu --delete --numeric-ids --inplace --timeout=60 . ${root}/`;
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test';

describe('rsync-recv command check', () => {
  it('accepts exactly what our sender asks for', () => {
    const v = validateRecvCommand(ok, root);
    expect(v).toEqual({ ok: true, args: ['--server', '-lHogDtpAXre.iLsfxCIvu', '--delete', '--numeric-ids', '--inplace', '--timeout=60', '.', `${root}/`] });
  });

  it('accepts the nanosecond mtime comparison (--modify-window=-1 reaches the receiver as -@-1)', () => {
    expect(validateRecvCommand(ok.replace('--timeout=60', '--timeout=60 -@-1'), root)).toMatchObject({ ok: true });
    expect(validateRecvCommand(ok.replace('--timeout=60', '--timeout=60 -@5'), root)).toMatchObject({ ok: false });
  });

  it('accepts the final pass that sends only the changed names (--files-from: no -r, --dirs and --relative; --whole-file)', () => {
    const changed = `rsync --server -ldWHogDtpAXRe.LsfxCIvu --no-r --timeout=60 --delete --stats -@-1 --numeric-ids --inplace . ${root}/`;
    expect(validateRecvCommand(changed, root)).toMatchObject({ ok: true });
    expect(validateRecvCommand(changed.replace('-ldWHog', '-ldWHogs'), root)).toMatchObject({ ok: false });
    expect(validateRecvCommand(changed.replace('--no-r', '--files-from=/etc/shadow'), root)).toMatchObject({ ok: false });
  });

  it('accepts the bandwidth limit migrate.send may pass', () => {
    expect(validateRecvCommand(ok.replace('--timeout=60', '--timeout=60 --bwlimit=8000'), root)).toMatchObject({ ok: true });
  });

  it.each([
    ['a shell command', 'sh -c id'],
    ['a sender (reading data back)', `rsync --server --sender -lHogDtpAXre.iLsfxCIvu . ${root}/`],
    ['another directory', 'rsync --server -lHogDtpAXre.iLsfxCIvu --delete . /etc/'],
    ['a path escaping the root', `rsync --server -lHogDtpAXre.iLsfxCIvu . ${root}/../../etc/`],
    ['an extra option with a path', `rsync --server -lHogDtpAXre.iLsfxCIvu --log-file=/etc/passwd . ${root}/`],
    ['a temp dir elsewhere', `rsync --server -lHogDtpAXre.iLsfxCIvu -T /etc . ${root}/`],
    ['two destinations', `rsync --server -lHogDtpAXre.iLsfxCIvu . /tmp/ ${root}/`],
    ['a newline trick', `${ok}\nid`],
    ['nothing', undefined],
  ])('refuses %s', (_label, cmd) => {
    expect(validateRecvCommand(cmd, root).ok).toBe(false);
  });
});

describe('migration key line', () => {
  it('is restricted to the receiver for one ctid', () => {
    const line = migrationKeyLine(KEY, '/var/lib/vz', 30123);
    expect(line).toMatch(/^restrict,command="\S+\/vzagent rsync-recv --vzroot \/var\/lib\/vz --ctid 30123" ssh-ed25519 AAAA\S+ vzmigrate-30123$/);
  });

  it('refuses a key that could break out of the line', () => {
    expect(() => migrationKeyLine(`${KEY}\nssh-ed25519 AAAA evil`, '/vz', 1)).toThrow();
    expect(() => migrationKeyLine('command="sh" ssh-ed25519 AAAA', '/vz', 1)).toThrow();
    expect(() => migrationKeyLine(KEY, '/vz root"', 1)).toThrow();
  });
});

describe('helpers', () => {
  it('pins the host key with OpenSSH\'s [host]:port form', () => {
    expect(knownHostsLine({ host: '127.0.0.9', port: 2222, hostKey: 'ssh-ed25519 AAAA' })).toBe('[127.0.0.9]:2222 ssh-ed25519 AAAA\n');
    expect(knownHostsLine({ host: 'n1', port: 22, hostKey: 'ssh-ed25519 AAAA' })).toBe('n1 ssh-ed25519 AAAA\n');
  });

  it('reads rsync --stats', () => {
    const s = parseRsyncStats('Number of regular files transferred: 1,204\nTotal file size: 157,286,400 bytes\nTotal transferred file size: 8,388,608 bytes\n');
    expect(s).toEqual({ filesTransferred: 1204, bytesTransferred: 8388608, totalBytes: 157286400 });
  });

  it('names the kept copy <ctid>.migrated-<UTC timestamp>', () => {
    expect(migratedName(30123, new Date('2026-11-26T20:15:03.123Z'))).toBe('30123.migrated-20261126T201503Z');
  });
});
