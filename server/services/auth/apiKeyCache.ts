// Per-process cache of API key rows, so an authenticated billing read does not cost a database
// round trip for its key. Safe only while this process hears revocations: the ApiKey trigger
// (migration console_revoke_notify_acct) sends `key:<id>` on vz_console for every revocation or
// delete, from any process or a hand-run UPDATE. Entries are served only while our LISTEN
// connection is up; losing it empties the cache and sends every lookup to the database again.
import pg from 'pg';
import { databaseUrlOf, type PrismaClient } from '@/server/db/client';
import { logger } from '@/server/logger';

/** The fields verifyApiKey needs; the secret itself is never cached, only its sha256 (as stored). */
export interface CachedKey {
  id: string;
  name: string;
  prefix: string;
  keyHash: string;
  scopes: string[];
  revokedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

const CHANNEL = 'vz_console';
// Defence in depth: even while listening, an entry is re-read at least this often (a change no trigger announces).
const MAX_AGE_MS = 30_000;
const MAX_ENTRIES = 10_000;

class KeyCache {
  private readonly rows = new Map<string, { key: CachedKey; at: number }>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly url: string) {}

  /** True while revocations reach this process (only then may an entry be served). */
  get listening(): boolean {
    return !!this.client;
  }

  private async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.url, application_name: 'vzpanel-apikey-cache' });
    c.on('notification', (m) => {
      if (m.channel === CHANNEL && m.payload?.startsWith('key:')) this.dropId(m.payload.slice(4));
    });
    c.on('error', (err) => {
      logger.warn({ err: err.message }, 'API key cache lost its LISTEN connection; lookups go to the database');
      if (this.client === c) this.client = undefined;
      this.rows.clear();
      void c.end().catch(() => undefined);
      if (!this.closed) setTimeout(() => void this.ensure(), 1000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    // Nothing cached before LISTEN took effect may be trusted: a revocation could have slipped in between.
    this.rows.clear();
    if (this.closed) await c.end();
    else this.client = c;
  }

  /** Starts listening if not yet; never throws (a failure just leaves the cache off). */
  ensure(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect()
      .catch((err: Error) => { logger.warn({ err: err.message }, 'API key cache cannot LISTEN; lookups go to the database'); })
      .finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  get(prefix: string): CachedKey | undefined {
    if (!this.listening) return undefined;
    const e = this.rows.get(prefix);
    if (!e) return undefined;
    if (Date.now() - e.at > MAX_AGE_MS) {
      this.rows.delete(prefix);
      return undefined;
    }
    return e.key;
  }

  /** Remembers a row read from the database at `readAt` (taken before the read, so a revocation notified during it wins). */
  put(key: CachedKey, readAt: number, listeningAtRead: boolean): void {
    if (!this.listening || !listeningAtRead || this.droppedSince(key.id, readAt)) return;
    if (this.rows.size >= MAX_ENTRIES) this.rows.clear();
    this.rows.set(key.prefix, { key, at: readAt });
  }

  // Ids notified recently, with when: a row read before its revocation notice must not be cached after it.
  private readonly dropped = new Map<string, number>();

  private droppedSince(id: string, t: number): boolean {
    const at = this.dropped.get(id);
    return at !== undefined && at >= t;
  }

  dropId(id: string): void {
    const t = Date.now();
    this.dropped.set(id, t);
    if (this.dropped.size > MAX_ENTRIES) this.dropped.clear();
    for (const [p, e] of this.rows) if (e.key.id === id) this.rows.delete(p);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.rows.clear();
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}

const byUrl = new Map<string, KeyCache>();

/**
 * The process's key cache for the database `prisma` talks to (started on first use); undefined
 * for a client whose URL is unknown, so a cache can never listen to another database than the one read.
 */
export function apiKeyCache(prisma: PrismaClient): KeyCache | undefined {
  const url = databaseUrlOf(prisma);
  if (!url) return undefined;
  let c = byUrl.get(url);
  if (!c) byUrl.set(url, (c = new KeyCache(url)));
  void c.ensure();
  return c;
}

/** Closes every cache's LISTEN connection (shutdown, end of a test file). */
export async function closeApiKeyCaches(): Promise<void> {
  const all = [...byUrl.values()];
  byUrl.clear();
  await Promise.all(all.map((c) => c.close()));
}
