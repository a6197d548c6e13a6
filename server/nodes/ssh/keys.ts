// The panel's own SSH identity (one ed25519 key pair) and the authorized_keys line that restricts it.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
// ssh2 is CommonJS and Node's ESM loader cannot see its `utils` export by name (tsx at run time).
import ssh2 from 'ssh2';

const sshUtils = ssh2.utils;

export interface PanelKey {
  /** OpenSSH-format private key (secret: never log it). */
  privateKey: string;
  /** `ssh-ed25519 AAAA... vzpanel` */
  publicKey: string;
  /** `SHA256:...` of the public key. */
  fingerprint: string;
  privateKeyPath: string;
}

/** SHA256 fingerprint of an SSH public key blob, in the form `ssh-keygen -l -E sha256` prints. */
export function fingerprintOfBlob(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Parse `type base64 [comment]` into type and blob; throws on anything else. */
export function parsePublicKeyLine(line: string): { type: string; blob: Buffer } {
  const m = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)) ([A-Za-z0-9+/]+={0,2})(?: [^\r\n]*)?$/.exec(line.trim());
  if (!m) throw new Error('not an OpenSSH public key line');
  const blob = Buffer.from(m[2], 'base64');
  // The blob starts with its own type string: refuse a line whose label and blob disagree.
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (len <= 0 || blob.subarray(4, 4 + len).toString('latin1') !== m[1]) throw new Error('public key type does not match its blob');
  return { type: m[1], blob };
}

export function fingerprintOfPublicKeyLine(line: string): string {
  return fingerprintOfBlob(parsePublicKeyLine(line).blob);
}

export function panelKeyDir(dataDir = process.env.VZPANEL_DATA_DIR ?? '/var/lib/vzpanel'): string {
  return path.join(dataDir, 'keys');
}

/**
 * Load the panel's SSH key from `<dataDir>/keys/panel_ed25519`, creating it (0600, dir 0700)
 * on first use. Creation uses O_EXCL so two panel processes starting together end up with
 * the same key: the loser of the race just reads the winner's file.
 */
export function loadOrCreatePanelKey(dataDir?: string): PanelKey {
  return loadOrCreateKey(dataDir, 'panel_ed25519', 'vzpanel');
}

/**
 * The key the panel hands a node for one OpenVZ import (`<dataDir>/keys/import_ed25519`): separate
 * from the panel's own, so a node that sees it can reach only the OpenVZ hosts that trust it.
 */
export function loadOrCreateImportKey(dataDir?: string): PanelKey {
  return loadOrCreateKey(dataDir, 'import_ed25519', 'vzpanel-import');
}

/**
 * A new ed25519 pair in OpenSSH format. ssh2's generator drops leading zero bytes of the public
 * key, so about 1 pair in 256 cannot be parsed back (mscdex/ssh2#1513): such a pair would be a
 * panel key no node accepts. Draw again until both halves parse.
 */
export function newEd25519KeyPair(comment: string): { private: string; public: string } {
  for (;;) {
    const pair = sshUtils.generateKeyPairSync('ed25519', { comment });
    if (!(sshUtils.parseKey(pair.private) instanceof Error) && !(sshUtils.parseKey(pair.public) instanceof Error)) return pair;
  }
}

/** The `type base64 comment` public line of an unencrypted OpenSSH private key, or null when it is not one. */
export function publicLineOfPrivateKey(privateKey: string, comment: string): string | null {
  const parsed = sshUtils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || !key.isPrivateKey()) return null;
  return `${key.type} ${key.getPublicSSH().toString('base64')} ${comment}`;
}

function loadOrCreateKey(dataDir: string | undefined, file: string, comment: string): PanelKey {
  const dir = panelKeyDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const privateKeyPath = path.join(dir, file);
  try {
    const pair = newEd25519KeyPair(comment);
    writeFileSync(privateKeyPath, pair.private, { mode: 0o600, flag: 'wx' });
    writeFileSync(`${privateKeyPath}.pub`, pair.public.trim() + '\n', { mode: 0o644 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return readPanelKey(privateKeyPath, comment);
}

/** Read an OpenSSH private key file and derive its public line and fingerprint. */
export function readPanelKey(privateKeyPath: string, comment = 'vzpanel'): PanelKey {
  const privateKey = readFileSync(privateKeyPath, 'utf8');
  const parsed = sshUtils.parseKey(privateKey);
  if (parsed instanceof Error) throw new Error(`cannot parse panel key ${privateKeyPath}: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  const blob = key.getPublicSSH();
  return {
    privateKey,
    publicKey: `${key.type} ${blob.toString('base64')} ${comment}`,
    fingerprint: fingerprintOfBlob(blob),
    privateKeyPath,
  };
}

/**
 * The authorized_keys line for the panel key on a node: `restrict` (no pty, no port/agent/X11
 * forwarding, no user rc) plus a forced command, so whatever the client asks to exec, sshd
 * runs only `command`. The command must be a plain path-and-words string (no quotes,
 * backslashes or newlines) because it is embedded in `command="..."` verbatim.
 */
export function restrictedAuthorizedKeysLine(publicKey: string, command: string, comment = 'vzpanel'): string {
  const { type, blob } = parsePublicKeyLine(publicKey);
  if (!/^[A-Za-z0-9_./ =:-]+$/.test(command)) throw new Error('forced command has characters not allowed in authorized_keys');
  if (!/^[A-Za-z0-9_.@-]*$/.test(comment)) throw new Error('bad key comment');
  return `restrict,command="${command}" ${type} ${blob.toString('base64')}${comment ? ' ' + comment : ''}`;
}
