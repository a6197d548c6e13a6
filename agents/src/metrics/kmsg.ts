// Names of processes the kernel OOM-killed, per VE, from the host's kernel log (/dev/kmsg).
// A VE cannot read its own kernel log, but the host's oom-kill record names the memory cgroup
// (lxc.payload.<ctid>) and the task, which is what "why was my process killed" needs.
import { closeSync, constants, openSync, readSync } from 'node:fs';

const OOM = /oom-kill:.*?oom_memcg=\/?lxc\.payload\.(\d+)[^,]*,.*?task=([^,]*),pid=(\d+)/;

export class OomLog {
  private fd: number | undefined;
  private readonly buf = Buffer.allocUnsafe(8192);
  /** ctid -> names killed since the last take(). */
  private pending = new Map<number, string[]>();

  constructor(file = '/dev/kmsg') {
    try {
      this.fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
      this.drain(false); // records from before the agent started were reported (or lost) already
    } catch {
      this.fd = undefined; // not root, or no /dev/kmsg: kills are still counted, without names
    }
  }

  /** Reads every new record; keeps the oom-kill ones when `keep`. */
  private drain(keep: boolean) {
    if (this.fd === undefined) return;
    for (let i = 0; i < 100_000; i++) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue; // the ring overwrote records we had not read: skip ahead
        return; // EAGAIN: nothing more now
      }
      if (n <= 0) return;
      if (!keep) continue;
      const m = OOM.exec(this.buf.toString('utf8', 0, n));
      if (!m) continue;
      const ctid = Number(m[1]);
      const list = this.pending.get(ctid) ?? [];
      if (list.length < 20) list.push(m[2]);
      this.pending.set(ctid, list);
    }
  }

  /** OOM-killed task names per ctid since the previous call. */
  take(): Map<number, string[]> {
    this.drain(true);
    const out = this.pending;
    this.pending = new Map();
    return out;
  }

  close() {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
