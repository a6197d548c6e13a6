// One LISTEN connection per channel and panel process (vz_task: task changes; vz_console: a console's
// right may have ended), fanned out by payload to everyone watching it.
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { logger } from '@/server/logger';

export const TASK_CHANNEL = 'vz_task';
export const CONSOLE_CHANNEL = 'vz_console';

class PgEvents {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private watchers = 0;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
  ) {}

  private async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.url, application_name: `vzpanel-${this.channel}` });
    c.on('notification', (m) => { if (m.channel === this.channel && m.payload) this.emitter.emit(m.payload); });
    c.on('error', (err) => {
      logger.warn({ err: err.message, channel: this.channel }, 'event connection lost; reconnecting');
      if (this.client === c) this.client = undefined;
      // Watchers re-read their task after a reconnect, so nothing missed in between is lost for good.
      this.emitter.emit('*reconnect');
      if (!this.closed && this.watchers > 0) setTimeout(() => void this.ensure().catch(() => undefined), 1000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${this.channel}`);
    this.client = c;
  }

  private ensure(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  /** Calls `cb` whenever one of `keys` is notified (a task id; "ve:<id>"…) and after a reconnect; returns the unsubscribe function. */
  async watch(keys: string | string[], cb: () => void): Promise<() => void> {
    const list = typeof keys === 'string' ? [keys] : keys;
    this.watchers++;
    for (const k of list) this.emitter.on(k, cb);
    this.emitter.on('*reconnect', cb);
    let done = false;
    const off = () => {
      if (done) return;
      done = true;
      this.watchers--;
      for (const k of list) this.emitter.off(k, cb);
      this.emitter.off('*reconnect', cb);
    };
    try {
      await this.ensure();
    } catch (e) {
      off();
      throw e;
    }
    return off;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}

const byUrl = new Map<string, PgEvents>();

function listener(channel: string, url: string | undefined): PgEvents {
  if (!url) throw new Error(`${channel} events need DATABASE_URL`);
  const id = `${channel} ${url}`;
  let t = byUrl.get(id);
  if (!t) byUrl.set(id, (t = new PgEvents(url, channel)));
  return t;
}

/** The process-wide task listener for a database (default: DATABASE_URL, as server/main.ts sets it). */
export function taskEvents(url = process.env.DATABASE_URL): PgEvents {
  return listener(TASK_CHANNEL, url);
}

/** The process-wide listener for console revocations (see services/console/revoke.ts). */
export function consoleEvents(url = process.env.DATABASE_URL): PgEvents {
  return listener(CONSOLE_CHANNEL, url);
}

/** Closes every listener of every channel (shutdown, end of a test file). */
export async function closeTaskEvents(): Promise<void> {
  const all = [...byUrl.values()];
  byUrl.clear();
  await Promise.all(all.map((t) => t.close()));
}
