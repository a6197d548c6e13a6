// A failed bootstrap in plain words: what went wrong, said the way an admin thinks about it.
import { AppError, isAppError } from '@/server/errors';

export type BootstrapFailure = 'unreachable' | 'auth-refused' | 'host-key-changed' | 'unsupported-os' | 'kernel-feature' | 'other';

/**
 * Re-words a bootstrap error by its cause (unreachable, authentication refused, host key changed,
 * unsupported OS, missing kernel feature), keeping the original detail at the end. The result
 * is an AppError with the same code and `data.failure` naming the kind.
 */
export function explainBootstrapFailure(e: unknown, at: { address: string; sshPort: number; sshUser: string }): AppError {
  const where = `${at.address}:${at.sshPort}`;
  const msg = e instanceof Error ? e.message : String(e);
  const data = isAppError(e) ? e.data ?? {} : {};
  const code = isAppError(e) ? e.code : 'INTERNAL';
  const out = (failure: BootstrapFailure, text: string) => new AppError(code, text, { ...data, failure });
  if (data.reason === 'HOST_KEY_MISMATCH') {
    return out('host-key-changed', `Host key changed: ${where} now presents ${String(data.presented)}, not the ${String(data.pinned)} you confirmed. `
      + 'Nothing was sent to it. If the node was reinstalled, probe it again and compare the new fingerprint out of band.');
  }
  if (data.reason === 'AUTH_FAILED' || /authentication methods failed/i.test(msg)) {
    return out('auth-refused', `Authentication refused: ${at.sshUser}@${where} did not accept the password or key you gave.`);
  }
  if (data.reason === 'UNSUPPORTED_OS') return out('unsupported-os', `Unsupported OS: ${msg.replace(/^unsupported OS: /, '')}`);
  if (data.reason === 'KERNEL_FEATURE') return out('kernel-feature', `Missing kernel feature: ${msg.replace(/^missing kernel feature /, '')}`);
  if (code === 'NODE_OFFLINE' || /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|timed out while waiting for handshake/i.test(msg)) {
    return out('unreachable', `Unreachable: nothing completed an SSH handshake at ${where} (${msg.replace(/^node .*? is unreachable: /, '')}). Check the address, the port and any firewall.`);
  }
  return isAppError(e) ? out('other', e.message) : out('other', msg);
}
