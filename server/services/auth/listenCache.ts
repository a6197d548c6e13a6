// Per-process caches of auth rows (API keys, sessions), so an authenticated request does not cost a
// database round trip to learn who is asking. Safe only while this process hears every change that
// could take a right away: database triggers announce them on the vz_console channel ("key:<id>",
// "user:<id>"; migrations console_revoke_notify_acct and api_auth_cache_notify_ha) from any process
// or a hand-run UPDATE; other topics ("session:<id>") are dropped only by this process's own writes. Entries are served only while our one LISTEN connection
// per database is up; losing it empties every cache and sends every lookup to the database again.
import pg from 'pg';
import { databaseUrlOf, type PrismaClient } from '@/server/db/client';
import { logger } from '@/server/logger';

const CHANNEL = 'vz_console';
const MAX_ENTRIES = 10_000;
/** application_name of the LISTEN connection (tests terminate it to check the deaf path). */
export const LISTENER_APP_NAME = 'vzpanel-auth-cache';

/** The one LISTEN connection per database, shared by its caches. */
class Listener {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  readonly caches = new Map<string, TopicCache<unknown>>();

  constructor(private readonly url: string) {}

  get listening(): boolean {
    return !!this.client;
  }

  private clearAll(): void {
    for (const c of this.caches.values()) c.clear();
  }

  private async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.url, application_name: LISTENER_APP_NAME });
    c.on('notification', (m) => {
      if (m.channel === CHANNEL && m.payload) for (const cache of this.caches.values()) cache.drop(m.payload);
    });
    c.on('error', (err) => {
      logger.warn({ err: err.message }, 'auth cache lost its LISTEN connection; lookups go to the database');
      if (this.client === c) this.client = undefined;
      this.clearAll();
      void c.end().catch(() => undefined);
      if (!this.closed) setTimeout(() => void this.ensure(), 1000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    // Nothing cached before LISTEN took effect may be trusted: a revocation could have slipped in between.
    this.clearAll();
    if (this.closed) await c.end();
    else this.client = c;
  }

  /** Starts listening if not yet; never throws (a failure just leaves the caches off). */
  ensure(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect()
      .catch((err: Error) => { logger.warn({ err: err.message }, 'auth cache cannot LISTEN; lookups go to the database'); })
      .finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearAll();
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}

/**
 * Rows by lookup key, each tagged with the notice topics that invalidate it. `maxAgeMs`: even while
 * listening, an entry is re-read at least this often (defence against a change no trigger announces).
 */
export class TopicCache<V> {
  private readonly rows = new Map<string, { value: V; topics: string[]; at: number }>();
  // Topics notified recently, with when: a row read before its notice must not be cached after it.
  private readonly dropped = new Map<string, number>();

  constructor(private readonly listener: Listener, private readonly maxAgeMs: number) {}

  /** True while changes reach this process (only then may an entry be served). */
  get listening(): boolean {
    return this.listener.listening;
  }

  get(key: string): V | undefined {
    if (!this.listening) return undefined;
    const e = this.rows.get(key);
    if (!e) return undefined;
    if (Date.now() - e.at > this.maxAgeMs) {
      this.rows.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Remembers a row read from the database at `readAt` (taken before the read, so a notice during it wins). */
  put(key: string, value: V, topics: string[], readAt: number, listeningAtRead: boolean): void {
    if (!this.listening || !listeningAtRead || [key, ...topics].some((t) => (this.dropped.get(t) ?? -1) >= readAt)) return;
    if (this.rows.size >= MAX_ENTRIES) this.rows.clear();
    this.rows.set(key, { value, topics, at: readAt });
  }

  /** Forgets the entry under `key` (this process changed it), and refuses rows read before now under it. */
  forget(key: string): void {
    this.mark(key);
    this.rows.delete(key);
  }

  /** Forgets every entry tagged `topic`, and refuses to cache rows read before now under it. */
  drop(topic: string): void {
    this.mark(topic);
    for (const [k, e] of this.rows) if (e.topics.includes(topic)) this.rows.delete(k);
  }

  private mark(what: string): void {
    this.dropped.set(what, Date.now());
    if (this.dropped.size > MAX_ENTRIES) this.dropped.clear();
  }

  clear(): void {
    this.rows.clear();
  }
}

const listeners = new Map<string, Listener>();

/**
 * The process's cache `name` for the database `prisma` talks to (its listener started on first use);
 * undefined for a client whose URL is unknown, so a cache never listens to another database than the one read.
 */
export function topicCache<V>(prisma: PrismaClient, name: string, maxAgeMs: number): TopicCache<V> | undefined {
  const url = databaseUrlOf(prisma);
  if (!url) return undefined;
  let l = listeners.get(url);
  if (!l) listeners.set(url, (l = new Listener(url)));
  let c = l.caches.get(name) as TopicCache<V> | undefined;
  if (!c) l.caches.set(name, (c = new TopicCache<V>(l, maxAgeMs) as TopicCache<unknown> as TopicCache<V>));
  void l.ensure();
  return c;
}

/** Closes every cache's LISTEN connection (shutdown, end of a test file). */
export async function closeListenCaches(): Promise<void> {
  const all = [...listeners.values()];
  listeners.clear();
  await Promise.all(all.map((l) => l.close()));
}
