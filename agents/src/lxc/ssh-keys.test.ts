import { describe, expect, it } from 'vitest';
import { editAuthorizedKeys, keyBody } from './ssh-keys';

const A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1 a@x';
const B = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB b@y';

describe('authorized_keys edits', () => {
  it('matches keys by type and body, whatever their options or comment', () => {
    expect(keyBody(`from="10.0.0.1",no-pty ${A}`)).toBe('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1');
    expect(keyBody('# a comment')).toBeNull();
    expect(keyBody('')).toBeNull();
  });

  it('appends a new key once, drops a removed one, and keeps every other line as it was', () => {
    const cur = `# mine\nno-pty ${B}\n`;
    const added = editAuthorizedKeys(cur, [A, A], []);
    expect(added).toBe(`# mine\nno-pty ${B}\n${A}\n`);
    expect(editAuthorizedKeys(added, [A.replace('a@x', 'other comment')], [])).toBe(added);
    expect(editAuthorizedKeys(added, [], [B.replace('b@y', 'any')])).toBe(`# mine\n${A}\n`);
    expect(editAuthorizedKeys('', [], [A])).toBe('');
    expect(() => editAuthorizedKeys('', ['not a key'], [])).toThrow(/not an OpenSSH public key/);
  });
});
