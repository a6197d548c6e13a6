// One LISTEN vz_task connection per panel process, fanned out to everyone watching a task.
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { logger } from '@/server/logger';

export const TASK_CHANNEL = 'vz_task';

class TaskEvents {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private watchers = 0;
  private closed = false;

  constructor(private readonly url: string) {}

  private async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.url, application_name: 'vzpanel-task-events' });
    c.on('notification', (m) => { if (m.channel === TASK_CHANNEL && m.payload) this.emitter.emit(m.payload); });
    c.on('error', (err) => {
      logger.warn({ err: err.message }, 'task events connection lost; reconnecting');
      if (this.client === c) this.client = undefined;
      // Watchers re-read their task after a reconnect, so nothing missed in between is lost for good.
      this.emitter.emit('*reconnect');
      if (!this.closed && this.watchers > 0) setTimeout(() => void this.ensure().catch(() => undefined), 1000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${TASK_CHANNEL}`);
    this.client = c;
  }

  private ensure(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  /** Calls `cb` whenever task `taskId` changes (and after a reconnect); returns the unsubscribe function. */
  async watch(taskId: string, cb: () => void): Promise<() => void> {
    this.watchers++;
    this.emitter.on(taskId, cb);
    this.emitter.on('*reconnect', cb);
    let done = false;
    const off = () => {
      if (done) return;
      done = true;
      this.watchers--;
      this.emitter.off(taskId, cb);
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

const byUrl = new Map<string, TaskEvents>();

/** The process-wide listener for a database (default: DATABASE_URL, as server/main.ts sets it). */
export function taskEvents(url = process.env.DATABASE_URL): TaskEvents {
  if (!url) throw new Error('task events need DATABASE_URL');
  let t = byUrl.get(url);
  if (!t) byUrl.set(url, (t = new TaskEvents(url)));
  return t;
}

/** Closes every listener (shutdown, end of a test file). */
export async function closeTaskEvents(): Promise<void> {
  const all = [...byUrl.values()];
  byUrl.clear();
  await Promise.all(all.map((t) => t.close()));
}
