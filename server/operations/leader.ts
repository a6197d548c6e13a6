// Leader election on Postgres for the panel's singletons (node monitor, reconciler, usage collector):
// with several panel processes on one database, exactly one runs them, and another takes over when it dies.
import pg from 'pg';
import { logger } from '@/server/logger';

// Advisory-lock namespace (worker.ts uses 0x767a_0002 for worker liveness).
const LEADER_NS = 0x767a_0003;

export interface Leadership {
  /** True while this process holds the lock and its singletons run. */
  readonly leading: boolean;
  stop(): Promise<void>;
}

export interface LeaderOptions {
  connectionString: string;
  /** Which singleton group; one lock per name. */
  name: string;
  /** Starts the singletons; returns their stop function. Called each time this process becomes leader. */
  lead: () => Promise<() => Promise<unknown>> | (() => Promise<unknown>);
  /** How often a follower tries to take over (default 5 s). */
  retryMs?: number;
}

/**
 * Holds a session advisory lock on a dedicated connection while leading. A process killed with
 * kill -9 drops its connection, Postgres releases the lock, and a follower's next try takes over.
 * A leader whose connection breaks stops its singletons at once (it cannot know it still leads).
 */
export function startLeaderElection(opts: LeaderOptions): Leadership {
  const retryMs = opts.retryMs ?? 5_000;
  let client: pg.Client | undefined;
  let stopLead: (() => Promise<unknown>) | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let busy: Promise<void> = Promise.resolve();

  const resign = async (why: string) => {
    const s = stopLead;
    stopLead = undefined;
    if (!s) return;
    if (stopped) logger.info({ name: opts.name }, 'singletons stopped');
    else logger.warn({ name: opts.name, why }, 'leadership lost: singletons stopped');
    await s().catch((err) => logger.warn({ err: (err as Error).message }, 'stopping singletons failed'));
  };

  const attempt = async () => {
    if (stopped || stopLead) return;
    if (!client) {
      const c = new pg.Client({ connectionString: opts.connectionString, application_name: `vzpanel-leader-${opts.name}` });
      c.on('error', (err) => {
        if (client !== c) return;
        client = undefined;
        void c.end().catch(() => undefined);
        busy = busy.then(() => resign(`leader connection lost: ${err.message}`));
      });
      await c.connect();
      client = c;
    }
    const r = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', [LEADER_NS, opts.name]);
    if (!r.rows[0].got || stopped) return;
    logger.info({ name: opts.name, pid: process.pid }, 'leader: this process runs the singletons');
    stopLead = await opts.lead();
  };

  const loop = () => {
    if (stopped) return;
    busy = busy.then(attempt).catch((err) => logger.warn({ name: opts.name, err: (err as Error).message }, 'leader election try failed'));
    void busy.finally(() => { if (!stopped) timer = setTimeout(loop, retryMs); });
  };
  loop();

  return {
    get leading() {
      return !!stopLead;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await busy;
      await resign('stopping');
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
