// Where a migration keeps its own state on a node: <vzroot>/migrate/<ctid>.{target,source}.json.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface TargetMarker {
  state: 'prepared';
  migrationId: string;
  ctid: number;
  /** The VE conf from the source, without an id range. */
  config: Record<string, unknown>;
  idmapFirst: number;
  imageBytes: number;
  createdAt: string;
  /** The VE's port filter was applied at prepare (this agent version): commitTarget's start skips it. */
  policyReady?: boolean;
}

export interface SourceMarker {
  ctid: number;
  /** True once this migration froze the VE (abortSource thaws only then). */
  frozen: boolean;
  at: string;
  /** The VE's init when it was frozen and its start time (/proc stat field 22): stopSource kills it without asking LXC (a process in the pause). */
  pid?: number;
  pidStart?: string;
}

export const migrateDir = (vzroot: string) => path.join(vzroot, 'migrate');
const targetFile = (vzroot: string, ctid: number) => path.join(migrateDir(vzroot), `${ctid}.target.json`);
const sourceFile = (vzroot: string, ctid: number) => path.join(migrateDir(vzroot), `${ctid}.source.json`);
export const recvPidFile = (vzroot: string, ctid: number) => path.join(migrateDir(vzroot), `${ctid}.recv.pid`);

async function readJson<T>(file: string): Promise<T | undefined> {
  const text = await readFile(file, 'utf8').catch(() => null);
  return text === null ? undefined : (JSON.parse(text) as T);
}

async function writeJson(file: string, v: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(v, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

export const readTargetMarker = (vzroot: string, ctid: number) => readJson<TargetMarker>(targetFile(vzroot, ctid));
export const writeTargetMarker = (vzroot: string, m: TargetMarker) => writeJson(targetFile(vzroot, m.ctid), m);
export const removeTargetMarker = (vzroot: string, ctid: number) => rm(targetFile(vzroot, ctid), { force: true });
export const readSourceMarker = (vzroot: string, ctid: number) => readJson<SourceMarker>(sourceFile(vzroot, ctid));
export const writeSourceMarker = (vzroot: string, m: SourceMarker) => writeJson(sourceFile(vzroot, m.ctid), m);
export const removeSourceMarker = (vzroot: string, ctid: number) => rm(sourceFile(vzroot, ctid), { force: true });

/** Name of a kept source copy: `<ctid>.migrated-YYYYMMDDTHHMMSSZ`. */
export function migratedName(ctid: number, at = new Date()): string {
  const ts = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${ctid}.migrated-${ts}`;
}
