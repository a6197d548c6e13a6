// The target's sshd entry for a one-off migration key: restricted to `vzagent rsync-recv` for one ctid.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VeError } from '../sys/errors';
import { serialQueue } from '../sys/serial';

const KEY_RE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)) ([A-Za-z0-9+/]+={0,2})(?: [^\r\n]*)?$/;
const CMD_RE = /^[A-Za-z0-9_./ =:-]+$/;

/**
 * The authorized_keys file the node's sshd reads migration keys from: VZ_MIGRATE_AUTHORIZED_KEYS,
 * else <vzroot>/migrate/authorized_keys (list it in sshd_config's AuthorizedKeysFile on real nodes).
 */
export const migrateKeysFile = (vzroot: string): string =>
  process.env.VZ_MIGRATE_AUTHORIZED_KEYS ?? path.join(vzroot, 'migrate', 'authorized_keys');

/** agents/bin/vzagent next to the running bundle (VZ_AGENT_BIN overrides). */
export const agentBin = (): string =>
  process.env.VZ_AGENT_BIN ?? path.resolve(path.dirname(process.argv[1] ?? '.'), '..', 'bin', 'vzagent');

const tag = (ctid: number) => `vzmigrate-${ctid}`;

/**
 * authorized_keys line for a migration key: `restrict` (no pty, forwarding, agent, X11, rc) and a
 * forced command that only runs an rsync receiver into this VE's prepared root. Refuses any key
 * or path that could break out of the line.
 */
export function migrationKeyLine(publicKey: string, vzroot: string, ctid: number): string {
  const m = KEY_RE.exec(publicKey.trim());
  if (!m) throw new VeError('BAD_PARAMS', 'authorizedKey is not an OpenSSH public key line', { field: 'authorizedKey' });
  const blob = Buffer.from(m[2], 'base64');
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (len <= 0 || blob.subarray(4, 4 + len).toString('latin1') !== m[1]) throw new VeError('BAD_PARAMS', 'authorizedKey type does not match its blob', { field: 'authorizedKey' });
  const command = `${agentBin()} rsync-recv --vzroot ${vzroot} --ctid ${ctid}`;
  if (!CMD_RE.test(command)) throw new VeError('INTERNAL', 'agent path or vzroot has characters not allowed in a forced command');
  return `restrict,command="${command}" ${m[1]} ${m[2]} ${tag(ctid)}`;
}

// One writer at a time inside this daemon (the only writer of the file).
const serial = serialQueue();

async function edit(file: string, change: (lines: string[]) => string[]): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines = change(text.split('\n').filter((l) => l.trim() !== ''));
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // sshd reads it as the agent account (migration copies log in as it): root-owned, world-readable, folder traversable
  await chmod(path.dirname(file), 0o711);
  const tmp = `${file}.vz-${process.pid}`;
  await writeFile(tmp, lines.map((l) => l + '\n').join(''), { mode: 0o644 });
  await chmod(tmp, 0o644);
  await rename(tmp, file);
}

const isFor = (ctid: number) => (l: string) => l.endsWith(` ${tag(ctid)}`);

/** Install (replacing any older one) the migration key line for `ctid`. */
export function authorizeMigrationKey(vzroot: string, ctid: number, publicKey: string): Promise<void> {
  const line = migrationKeyLine(publicKey, vzroot, ctid);
  return serial(() => edit(migrateKeysFile(vzroot), (ls) => [...ls.filter((l) => !isFor(ctid)(l)), line]));
}

/** Remove the migration key line of `ctid` (no-op when absent). */
export function revokeMigrationKey(vzroot: string, ctid: number): Promise<void> {
  return serial(() => edit(migrateKeysFile(vzroot), (ls) => ls.filter((l) => !isFor(ctid)(l))));
}
