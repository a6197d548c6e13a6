import { describe, expect, it } from 'vitest';
import { AppError } from '@/server/errors';
import { explainBootstrapFailure } from './explain';

const at = { address: '127.0.25.9', sshPort: 2222, sshUser: 'root' };

describe('bootstrap failures in plain words', () => {
  it('says which of the five causes it was, keeping the code', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [new AppError('NODE_OFFLINE', 'node bootstrap (127.0.25.9:2222) is unreachable: connect ECONNREFUSED 127.0.25.9:2222'), 'unreachable', /^Unreachable: nothing completed an SSH handshake at 127\.0\.25\.9:2222 \(connect ECONNREFUSED/],
      [new AppError('FORBIDDEN', "x refused the panel's SSH key", { reason: 'AUTH_FAILED' }), 'auth-refused', /^Authentication refused: root@127\.0\.25\.9:2222 did not accept/],
      [new AppError('FORBIDDEN', 'mismatch', { reason: 'HOST_KEY_MISMATCH', presented: 'SHA256:new', pinned: 'SHA256:old' }), 'host-key-changed', /^Host key changed: 127\.0\.25\.9:2222 now presents SHA256:new, not the SHA256:old you confirmed/],
      [new AppError('UNPROCESSABLE', 'unsupported OS: CentOS 7', { reason: 'UNSUPPORTED_OS' }), 'unsupported-os', /^Unsupported OS: CentOS 7$/],
      [new AppError('UNPROCESSABLE', 'missing kernel feature on 6.1: user namespaces', { reason: 'KERNEL_FEATURE' }), 'kernel-feature', /^Missing kernel feature: on 6\.1: user namespaces$/],
    ];
    for (const [e, failure, text] of cases) {
      const out = explainBootstrapFailure(e, at);
      expect(out.data?.failure).toBe(failure);
      expect(out.message).toMatch(text);
      expect(out.code).toBe((e as AppError).code);
    }
    expect(explainBootstrapFailure(new Error('boom'), at)).toMatchObject({ code: 'INTERNAL', message: 'boom', data: { failure: 'other' } });
  });
});
