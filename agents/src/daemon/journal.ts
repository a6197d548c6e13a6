import { mkdirSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorBody } from '@/agents/protocol';
import { redactSecrets } from '@/agents/protocol';

export type JournalStatus = 'running' | 'done' | 'failed' | 'interrupted';

/** One journaled operation, stored as <journalDir>/<opId>.json. */
export interface JournalEntry {
  opId: string;
  method: string;
  ve?: number;
  /** Params with secrets redacted: for people reading the journal, never re-run from here. */
  params: unknown;
  status: JournalStatus;
  startedAt: string;
  finishedAt?: string;
  pid: number;
  lastProgress?: string;
  result?: unknown;
  error?: ErrorBody;
}

const RETAIN_MS = 14 * 24 * 3600 * 1000;

/**
 * On-disk operation journal. Every write goes to a temp file, is fsynced and renamed over the
 * entry, then the directory is fsynced: after a crash an entry is either old or new, never torn.
 */
export class Journal {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(opId: string): string {
    return path.join(this.dir, `${opId}.json`);
  }

  async get(opId: string): Promise<JournalEntry | undefined> {
    try {
      return JSON.parse(await readFile(this.file(opId), 'utf8')) as JournalEntry;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  private readonly chains = new Map<string, Promise<void>>();

  /** Writes are serialised per opId, so a late progress write can never overwrite the final one. */
  put(entry: JournalEntry): Promise<void> {
    const snapshot = { ...entry };
    const prev = this.chains.get(entry.opId) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(() => this.write(snapshot));
    this.chains.set(entry.opId, next);
    void next.catch(() => {}).finally(() => {
      if (this.chains.get(entry.opId) === next) this.chains.delete(entry.opId);
    });
    return next;
  }

  private async write(entry: JournalEntry): Promise<void> {
    const final = this.file(entry.opId);
    const tmp = `${final}.${process.pid}.${Date.now()}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(entry));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, final);
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }

  start(opId: string, method: string, ve: number | undefined, params: unknown): Promise<JournalEntry> {
    const entry: JournalEntry = {
      opId, method, ve, params: redactSecrets(params), status: 'running', startedAt: new Date().toISOString(), pid: process.pid,
    };
    return this.put(entry).then(() => entry);
  }

  async finish(entry: JournalEntry, outcome: { result?: unknown; error?: ErrorBody }): Promise<void> {
    const done: JournalEntry = {
      ...entry,
      status: outcome.error ? 'failed' : 'done',
      finishedAt: new Date().toISOString(),
      result: outcome.result,
      error: outcome.error,
    };
    await this.put(done);
  }

  /**
   * Startup pass: entries still 'running' belong to a daemon that died, so they become
   * 'interrupted'; finished entries older than the retention window and stray temp files go.
   */
  async recoverOnStartup(): Promise<JournalEntry[]> {
    const interrupted: JournalEntry[] = [];
    for (const name of await readdir(this.dir)) {
      const full = path.join(this.dir, name);
      if (name.endsWith('.tmp')) {
        await rm(full, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const entry = await this.get(name.slice(0, -5)).catch(() => undefined);
      if (!entry) continue;
      if (entry.status === 'running') {
        entry.status = 'interrupted';
        await this.put(entry);
        interrupted.push(entry);
      } else if (entry.status !== 'interrupted') {
        const age = Date.now() - (await stat(full)).mtimeMs;
        if (age > RETAIN_MS) await rm(full, { force: true });
      }
    }
    return interrupted;
  }
}
