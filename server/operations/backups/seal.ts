// Backup storage secrets (restic password, SSH login key) at rest: AES-256-GCM under a key derived
// from the panel key, the way node bootstrap credentials are sealed (operations/nodes/credential.ts).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '@/server/errors';
import { loadOrCreatePanelKey } from '@/server/nodes/ssh/keys';

// Every panel process shares the panel SSH key, so each can open what another sealed.
const key = (): Buffer => Buffer.from(hkdfSync('sha256', loadOrCreatePanelKey().privateKey, 'vzpanel', 'backup storage secret v1', 32));

/** Encrypts one backup storage secret for its database column; only openSecret can read it back. */
export function sealSecret(clear: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key(), iv);
  const body = Buffer.concat([cipher.update(clear, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
}

/** Opens a sealed secret; UNPROCESSABLE when it was sealed by another panel key (restored database). */
export function openSecret(sealed: string, what: string): string {
  const [v, iv, tag, body] = sealed.split('.');
  if (v !== 'v1' || !iv || !tag || !body) throw new AppError('UNPROCESSABLE', `the ${what} is not stored in a form this panel reads`);
  try {
    const d = createDecipheriv('aes-256-gcm', key(), Buffer.from(iv, 'base64'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8');
  } catch {
    throw new AppError('UNPROCESSABLE', `the ${what} cannot be opened by this panel (different panel key); enter it again`);
  }
}
