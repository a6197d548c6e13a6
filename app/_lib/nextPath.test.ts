import { describe, expect, it } from 'vitest';
import { safeNextPath } from './nextPath';

const origin = 'https://panel.example:8443';

describe('safeNextPath (login redirect target)', () => {
  it('keeps same-origin paths with their query and hash', () => {
    expect(safeNextPath('/admin/nodes?x=1#top', origin)).toBe('/admin/nodes?x=1#top');
    expect(safeNextPath('/portal', origin)).toBe('/portal');
    expect(safeNextPath(`${origin}/portal/ves`, origin)).toBe('/portal/ves');
  });

  it('refuses everything that leaves the origin, however it is spelled', () => {
    for (const bad of [
      '/\t/evil.com', // what `?next=/%09/evil.com` decodes to: the URL parser drops the tab
      '/\n/evil.com',
      '/\r\n/evil.com',
      '//evil.com',
      '/\\evil.com',
      '\\\\evil.com',
      '/./\\evil.com',
      'https://evil.com/admin',
      'http://panel.example:8443/admin', // same host, other scheme and port
      'javascript:alert(1)',
      'data:text/html,hi',
      ' //evil.com',
    ]) {
      expect([bad, safeNextPath(bad, origin)]).toEqual([bad, null]);
    }
  });

  it('does not return a path that reads as protocol-relative after normalisation', () => {
    expect(safeNextPath('/.//evil.com', origin)).toBeNull();
    expect(safeNextPath('/a/..//evil.com', origin)).toBeNull();
  });

  it('ignores empty input', () => {
    expect(safeNextPath(null, origin)).toBeNull();
    expect(safeNextPath('', origin)).toBeNull();
  });
});
