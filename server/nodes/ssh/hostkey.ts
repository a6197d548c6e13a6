// Read a node's SSH host key so the admin can compare and pin it when adding the node.
import { Client } from 'ssh2';
import { AppError } from '@/server/errors';
import { fingerprintOfBlob } from './keys';

export interface HostKeyInfo {
  /** Key type as negotiated by the panel's ssh client (the type later connections will use). */
  type: string;
  /** `type base64` public key line. */
  publicKey: string;
  /** `SHA256:...`, the value to pin. */
  fingerprint: string;
  /** Milliseconds from dialling to the host key arriving (TCP, banner exchange, key exchange). */
  roundTripMs: number;
}

/**
 * Connect, read the host key presented in key exchange, and abort the handshake right there
 * (no authentication, no credentials sent). The panel shows the fingerprint to the admin, who
 * pins it. Throws NODE_OFFLINE if nothing answers within `timeoutMs`.
 */
export function fetchHostKey(host: string, port: number, timeoutMs = 5_000): Promise<HostKeyInfo> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    let info: HostKeyInfo | undefined;
    let done = false;
    const t0 = Date.now();
    const finish = (e?: Error) => {
      if (done) return;
      done = true;
      c.end();
      if (info) resolve(info);
      else reject(new AppError('NODE_OFFLINE', `cannot read the SSH host key of ${host}:${port}: ${e?.message ?? 'closed'}`, { host, port }));
    };
    c.on('error', (e) => finish(e));
    c.on('close', () => finish());
    c.connect({
      host, port, username: 'root', readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        const len = key.readUInt32BE(0);
        const type = key.subarray(4, 4 + len).toString('latin1');
        info = { type, publicKey: `${type} ${key.toString('base64')}`, fingerprint: fingerprintOfBlob(key), roundTripMs: Date.now() - t0 };
        return false; // stop before authentication
      },
    });
  });
}
