import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { utils as sshUtils } from 'ssh2';
import { loadOrCreatePanelKey, restrictedAuthorizedKeysLine, fingerprintOfPublicKeyLine, parsePublicKeyLine, newEd25519KeyPair, publicLineOfPrivateKey } from './keys';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const tmp = () => { const d = mkdtempSync('/tmp/vz-ssh-keys-'); dirs.push(d); return d; };

describe('panel key', () => {
  it('is created once with private mode 0600 in a 0700 dir, and reused', () => {
    const data = tmp();
    const a = loadOrCreatePanelKey(data);
    const b = loadOrCreatePanelKey(data);
    expect(b.publicKey).toBe(a.publicKey);
    expect(a.publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/]+=* vzpanel$/);
    expect(statSync(a.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(a.privateKeyPath)).mode & 0o777).toBe(0o700);
  });

  it('is a key OpenSSH itself accepts, with the same fingerprint', () => {
    const k = loadOrCreatePanelKey(tmp());
    const pub = execFileSync('ssh-keygen', ['-y', '-f', k.privateKeyPath]).toString().trim();
    expect(pub.split(' ').slice(0, 2)).toEqual(k.publicKey.split(' ').slice(0, 2));
    const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.privateKeyPath]).toString();
    expect(fp).toContain(k.fingerprint);
    expect(fingerprintOfPublicKeyLine(k.publicKey)).toBe(k.fingerprint);
  });
});

describe('newEd25519KeyPair', () => {
  it('never hands out a pair that ssh2 cannot read back (its generator breaks about 1 in 256)', () => {
    for (let i = 0; i < 3000; i++) {
      const pair = newEd25519KeyPair('t');
      expect(sshUtils.parseKey(pair.private)).not.toBeInstanceOf(Error);
      expect(publicLineOfPrivateKey(pair.private, 't')).toBe(pair.public.trim());
    }
  });
});

describe('restrictedAuthorizedKeysLine', () => {
  const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICyxwv0Zj4wzUKKIEVluskJaqU49UywqrPt29ag+oLkS someone@host';
  it('forces the command and restricts the key', () => {
    expect(restrictedAuthorizedKeysLine(pub, '/opt/vzpanel-agent/bin/vzagent rpc')).toBe(
      'restrict,command="/opt/vzpanel-agent/bin/vzagent rpc" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICyxwv0Zj4wzUKKIEVluskJaqU49UywqrPt29ag+oLkS vzpanel',
    );
  });
  it('refuses commands that could break out of command="..."', () => {
    for (const bad of ['/x" ssh-rsa', '/x\n', 'a\\b', '/x;id', '$(id)']) {
      expect(() => restrictedAuthorizedKeysLine(pub, bad)).toThrow();
    }
  });
  it('refuses lines that are not a public key, or whose type lies about the blob', () => {
    expect(() => parsePublicKeyLine('command="x" ssh-ed25519 AAAA')).toThrow();
    expect(() => parsePublicKeyLine('ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAICyxwv0Zj4wzUKKIEVluskJaqU49UywqrPt29ag+oLkS')).toThrow(/match/);
  });
});
