// The package cache's files on disk, bounded: total size, entry count and age, least recently used out first.
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export interface StoreLimits {
  /** Bytes of cached bodies kept on disk. */
  maxBytes: number;
  /** Entries not used for this long are dropped. */
  maxAgeMs: number;
  /** Entries kept (bounds the in-memory index as well as the folder). */
  maxEntries: number;
}

interface Entry { size: number; usedAt: number }

/**
 * Index of `<dir>/<sha256>.body|.meta` pairs in least-recently-used order (a Map keeps insertion
 * order; a use moves the entry to the end). Loaded from the folder once; kept in step after.
 */
export class CacheStore {
  private readonly index = new Map<string, Entry>();
  private total = 0;

  constructor(readonly dir: string, public limits: StoreLimits) {}

  get bytes(): number { return this.total; }
  get entries(): number { return this.index.size; }

  /** Reads what an earlier run left (oldest first by mtime), drops temp files, and trims to the limits. */
  async load(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const found: [string, Entry][] = [];
    for (const n of names) {
      if (n.endsWith('.tmp')) await rm(path.join(this.dir, n), { force: true });
      if (!n.endsWith('.body')) continue;
      const st = await stat(path.join(this.dir, n)).catch(() => null);
      if (st) found.push([n.slice(0, -5), { size: st.size, usedAt: st.mtimeMs }]);
    }
    found.sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [k, e] of found) this.put(k, e);
    await this.trim();
  }

  has(key: string): boolean { return this.index.has(key); }

  /** Marks `key` used now (most recent). */
  touch(key: string): void {
    const e = this.index.get(key);
    if (!e) return;
    this.index.delete(key);
    this.index.set(key, { ...e, usedAt: Date.now() });
  }

  /** Records a body of `size` bytes just stored under `key`, then evicts down to the limits. */
  async add(key: string, size: number): Promise<void> {
    this.put(key, { size, usedAt: Date.now() });
    await this.trim();
  }

  /** Makes room for `size` more bytes before they are written. */
  async reserve(size: number): Promise<void> {
    await this.trim(size);
  }

  private put(key: string, e: Entry): void {
    const old = this.index.get(key);
    if (old) { this.total -= old.size; this.index.delete(key); }
    this.index.set(key, e);
    this.total += e.size;
  }

  private async trim(extra = 0): Promise<void> {
    const { maxBytes, maxAgeMs, maxEntries } = this.limits;
    const now = Date.now();
    for (const [k, e] of this.index) {
      const over = this.total + extra > maxBytes || this.index.size > maxEntries || now - e.usedAt > maxAgeMs;
      if (!over) break;
      this.index.delete(k);
      this.total -= e.size;
      // A reader with the body open keeps its data (unlink, not truncate).
      await rm(path.join(this.dir, `${k}.body`), { force: true });
      await rm(path.join(this.dir, `${k}.meta`), { force: true });
    }
  }
}
