// The one-time bootstrap credential travels in the task row sealed with a key derived from the panel key.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '@/server/errors';
import { loadOrCreatePanelKey } from '@/server/nodes/ssh/keys';

export type BootstrapCredential = { password: string } | { privateKey: string };

// Every panel process that may run the task shares the panel SSH key, so each can open the seal.
function sealKey(): Buffer {
  return Buffer.from(hkdfSync('sha256', loadOrCreatePanelKey().privateKey, 'vzpanel', 'node bootstrap credential v1', 32));
}

/**
 * Encrypts the admin's one-time credential (AES-256-GCM) for Task.params. The bootstrap task
 * erases the sealed value when it ends, so the credential is never kept after use.
 */
export function sealCredential(c: BootstrapCredential): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(c), 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
}

/** Opens a sealed credential; UNPROCESSABLE when it is gone or was sealed with another panel key. */
export function openCredential(sealed: string | undefined): BootstrapCredential {
  const [v, iv, tag, body] = (sealed ?? '').split('.');
  if (v !== 'v1' || !iv || !tag || !body) throw new AppError('UNPROCESSABLE', 'the bootstrap credential is no longer available; add the node again');
  try {
    const d = createDecipheriv('aes-256-gcm', sealKey(), Buffer.from(iv, 'base64'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return JSON.parse(Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8')) as BootstrapCredential;
  } catch {
    throw new AppError('UNPROCESSABLE', 'the bootstrap credential cannot be opened by this panel (different panel key); add the node again');
  }
}
