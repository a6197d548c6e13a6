// The node-side buffer of usage batches: one file per sampling pass under <vzroot>/usage/spool,
// deleted once the panel acknowledges it; bounded in bytes (oldest dropped first) so a long
// panel outage never fills the node's disk.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { UsageBatch } from '@/agents/protocol/methods/usage';
import type { VeStream } from './stitch';

interface State { spool: string; seq: number; ves: Record<string, VeStream> }

export interface SpoolOptions {
  /** Total bytes of unacknowledged batches kept (default 200 MiB). */
  maxBytes?: number;
}

export class Spool {
  readonly dir: string;
  private readonly stateFile: string;
  readonly state: State;
  /** seq -> file size, oldest first. */
  private readonly files = new Map<number, number>();
  private bytes = 0;
  private readonly maxBytes: number;
  /** Batches dropped unacknowledged because the buffer was full (reported in logs). */
  dropped = 0;

  constructor(vzroot: string, o: SpoolOptions = {}) {
    const base = path.join(vzroot, 'usage');
    this.dir = path.join(base, 'spool');
    this.stateFile = path.join(base, 'state.json');
    this.maxBytes = o.maxBytes ?? 200 * 1024 * 1024;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.state = this.loadState();
    const seqs = readdirSync(this.dir).map((f) => /^(\d+)\.json$/.exec(f)?.[1]).filter((x): x is string => !!x).map(Number).sort((a, b) => a - b);
    for (const seq of seqs) {
      const file = this.file(seq);
      // Written but not committed by a state save (the agent died in between): its counters
      // were not remembered, so the next pass counts them again; keeping it would count twice.
      if (seq > this.state.seq) { rmSync(file, { force: true }); continue; }
      const size = statSync(file).size;
      this.files.set(seq, size);
      this.bytes += size;
    }
  }

  private loadState(): State {
    try {
      const s = JSON.parse(readFileSync(this.stateFile, 'utf8')) as State;
      if (typeof s.spool === 'string' && Number.isInteger(s.seq) && s.ves) return s;
    } catch { /* first start, or an unreadable file: start a new spool */ }
    return { spool: randomBytes(8).toString('hex'), seq: 0, ves: {} };
  }

  private file(seq: number) {
    return path.join(this.dir, `${seq}.json`);
  }

  /** Writes a batch, then commits the streams' new state; the batch counts only once both are on disk. */
  append(batch: Omit<UsageBatch, 'seq'>): number {
    const seq = this.state.seq + 1;
    const body = JSON.stringify({ ...batch, seq });
    writeFileSync(this.file(seq), body);
    this.state.seq = seq;
    const tmp = `${this.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, this.stateFile);
    this.files.set(seq, body.length);
    this.bytes += body.length;
    while (this.bytes > this.maxBytes && this.files.size > 1) {
      const oldest = this.files.keys().next().value as number;
      this.remove(oldest);
      this.dropped++;
    }
    return seq;
  }

  private remove(seq: number) {
    rmSync(this.file(seq), { force: true });
    this.bytes -= this.files.get(seq) ?? 0;
    this.files.delete(seq);
  }

  /** Deletes batches up to `upTo` (an ack naming another spool is from before a reset: ignored). */
  ack(spool: string | undefined, upTo: number | undefined) {
    if (spool !== this.state.spool || upTo === undefined) return;
    for (const seq of [...this.files.keys()]) if (seq <= upTo) this.remove(seq);
  }

  /** Oldest unacknowledged batches, at most `max`. */
  read(max: number): { batches: UsageBatch[]; more: boolean } {
    const seqs = [...this.files.keys()];
    const batches: UsageBatch[] = [];
    for (const seq of seqs.slice(0, max)) {
      try {
        batches.push(JSON.parse(readFileSync(this.file(seq), 'utf8')) as UsageBatch);
      } catch {
        this.remove(seq); // a torn file (disk full): nothing to deliver from it
      }
    }
    return { batches, more: seqs.length > max };
  }

  get pending() {
    return { batches: this.files.size, bytes: this.bytes };
  }
}
