// One-off node-to-node keys for a migration: the panel makes one per migration and hands it out.
import { newEd25519KeyPair } from './keys';

export interface MigrationKey {
  /** OpenSSH private key (secret: goes only to the source agent, in a field the journal redacts). */
  privateKey: string;
  /** `ssh-ed25519 AAAA... vzmigrate`, installed on the target restricted to `vzagent rsync-recv`. */
  publicKey: string;
}

/**
 * A fresh ed25519 key pair for one migration. It is never stored by the panel; the target
 * revokes its authorized_keys line at commit or abort, so a leaked key is useless afterwards.
 */
export function generateMigrationKey(): MigrationKey {
  const pair = newEd25519KeyPair('vzmigrate');
  return { privateKey: pair.private, publicKey: pair.public.trim() };
}
