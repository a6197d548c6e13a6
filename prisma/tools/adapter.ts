// Driver-adapter factory for the wasm schema engine: PrismaPg 7.10.1 plus the four fixes from
// STACK.md ("Prisma 7 migrations offline"), and bookkeeping so every pool and shadow DB is released.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { PrismaPg } from '@prisma/adapter-pg';

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
type QueryResult = { fields: { dataTypeID: number }[] };
/** The non-public parts of PgQueryable we patch. */
interface Patchable {
  performIO(query: unknown): Promise<QueryResult>;
  onError(error: unknown): never;
  startTransaction(isolationLevel?: unknown): Promise<unknown>;
  executeScript(script: string): Promise<void>;
  dispose(): Promise<void>;
  underlyingDriver(): pg.Pool;
}

// (c) The engine cannot deserialise the `"char"` type (oid 18) nor `"char"[]` (1002): present them as text / text[].
const RELABEL: Record<number, number> = { 18: 25, 1002: 1009 };

function relabelTypes(q: Pick<Patchable, 'performIO'>): void {
  const performIO = q.performIO.bind(q);
  q.performIO = async (query) => {
    const res = await performIO(query);
    for (const f of res?.fields ?? []) if (RELABEL[f.dataTypeID]) f.dataTypeID = RELABEL[f.dataTypeID];
    return res;
  };
}

function patchAdapter(adapter: PgAdapter): PgAdapter {
  const a = adapter as unknown as Patchable;
  relabelTypes(a);
  const startTransaction = a.startTransaction.bind(a);
  a.startTransaction = async (isolationLevel) => {
    const tx = (await startTransaction(isolationLevel)) as Pick<Patchable, 'performIO'>;
    relabelTypes(tx);
    return tx;
  };
  // (d) One simple-protocol query: keeps $$ bodies and ';' literals intact and runs atomically.
  a.executeScript = async (script) => {
    try {
      await a.underlyingDriver().query(script);
    } catch (e) {
      a.onError(e);
    }
  };
  return adapter;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Migration-aware adapter factory for `url`. Call `close()` when the engine is done: it ends every
 * pool it opened and drops any shadow database the engine left behind.
 */
export class MigrationAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName: string;
  // (a) Discrete config: with `connectionString`, pg would ignore the shadow `database` override.
  private readonly cfg: pg.PoolConfig;
  private readonly open = new Set<PgAdapter>();
  private readonly shadows = new Set<string>();

  constructor(url: string) {
    const { connectionString: _ignored, ...cfg } = parseIntoClientConfig(url) as pg.PoolConfig;
    this.cfg = { ...cfg, max: 2 };
    this.adapterName = new PrismaPg(this.cfg).adapterName;
  }

  async connect(): Promise<PgAdapter> {
    return this.track(patchAdapter(await new PrismaPg(this.cfg).connect()));
  }

  // (b) Own shadow DB lifecycle: create it, and on dispose end the pool before dropping the DB.
  async connectToShadowDb(): Promise<PgAdapter> {
    const database = `prisma_shadow_${randomUUID().replaceAll('-', '')}`;
    await this.admin((c) => c.query(`CREATE DATABASE ${quoteIdent(database)}`));
    this.shadows.add(database);
    const adapter = patchAdapter(await new PrismaPg({ ...this.cfg, database }).connect());
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      this.open.delete(adapter);
      await dispose();
      await this.dropShadow(database);
    };
    return this.track(adapter);
  }

  /** Ends all pools and drops leftover shadow databases. Safe to call twice. */
  async close(): Promise<void> {
    const adapters = [...this.open];
    this.open.clear();
    await Promise.allSettled(adapters.map((a) => a.dispose()));
    for (const db of [...this.shadows]) await this.dropShadow(db);
  }

  private track(adapter: PgAdapter): PgAdapter {
    this.open.add(adapter);
    const dispose = adapter.dispose.bind(adapter);
    let disposed = false;
    adapter.dispose = async () => {
      this.open.delete(adapter);
      if (disposed) return;
      disposed = true;
      await dispose();
    };
    return adapter;
  }

  private async dropShadow(database: string): Promise<void> {
    if (!this.shadows.has(database)) return;
    this.shadows.delete(database);
    await this.admin((c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`));
  }

  private async admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client(this.cfg);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
}
