import { describe, expect, it } from 'vitest';
import { Hostname, isSshPublicKey, RootPassword } from './validate';
import { sha512Crypt } from './crypt';

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host';

describe('create input', () => {
  it('accepts RFC 1123 host names, lower-cased', () => {
    expect(Hostname.parse('Web-1.Example.COM')).toBe('web-1.example.com');
    expect(Hostname.parse('1and1.com')).toBe('1and1.com');
  });
  it('refuses host names that are not RFC 1123', () => {
    for (const h of ['-lead.example', 'trail-.example', 'a..b', 'under_score', 'a b', 'x;reboot', 'a'.repeat(64), `${'a'.repeat(60)}.`.repeat(5), '10.0.0.1', '', 'é.com', 'a\nb']) {
      expect(Hostname.safeParse(h).success, JSON.stringify(h)).toBe(false);
    }
  });
  it('refuses passwords with control characters or out of range', () => {
    expect(RootPassword.safeParse('correct horse').success).toBe(true);
    for (const p of ['short', 'with\nnewline', 'nul\u0000byte!!', 'x'.repeat(129)]) expect(RootPassword.safeParse(p).success).toBe(false);
  });
  it('checks that an SSH key blob matches its type', () => {
    expect(isSshPublicKey(ED)).toBe(true);
    expect(isSshPublicKey(ED.replace('ssh-ed25519', 'ssh-rsa'))).toBe(false);
    expect(isSshPublicKey(`${ED}\nssh-ed25519 AAAA`)).toBe(false);
    expect(isSshPublicKey('command="sh" ' + ED)).toBe(false);
  });
  it('hashes like glibc crypt $6$ (spec vector)', () => {
    expect(sha512Crypt('Hello world!', 'saltstring')).toBe('$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1');
    // A password longer than one SHA-512 block and a full 16-character salt (as `openssl passwd -6` hashes them).
    expect(sha512Crypt('a much longer root password of more than sixty-four bytes, with ünïcode and spaces!!', 'Zq.9/abcdEFGH123'))
      .toBe('$6$Zq.9/abcdEFGH123$QR54BOhXpQE8gLKvK4xIfUVmUEV.rgyylnLL.L5w8OlBJKefCptIihyd3PendNBtOt1dq9BcwFrY3uPOtiBqK/');
    expect(sha512Crypt('pw-1234567')).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
  });
});
