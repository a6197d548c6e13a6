import { z } from 'zod';
import { defineMethod } from '../define';

const n = z.number().int().nonnegative();
// Counters default to 0 so an idle VE's sample carries only what moved (the spool stays small).
const c = n.default(0);

/**
 * Counters that only grow, from the VE's point of view (netIn = bytes the VE received). In a
 * sample they are the growth since the previous sample of the same stream, stitched across
 * agent restarts and VE restarts on this node, so their running sum is monotonic.
 */
export const UsageCounters = z.object({
  cpuNs: c, netIn: c, netOut: c, pktIn: c, pktOut: c, rdBytes: c, wrBytes: c, rdIos: c, wrIos: c,
  /** memory.failcnt: allocations refused at the RAM limit. */
  memFail: c,
  /** memory.memsw.failcnt: refused at the RAM+swap limit. */
  swapFail: c,
  oomKill: c,
  /** cpu.stat nr_throttled (periods) and throttled_time (ns). */
  throttled: c, throttledNs: c,
  /** pids.events max: forks refused at numproc. */
  pidsMax: c,
});
export type UsageCounters = z.output<typeof UsageCounters>;
export const COUNTER_KEYS = Object.keys(UsageCounters.shape) as (keyof UsageCounters)[];

export const UsageSample = z.object({
  ctid: z.number().int().positive(),
  running: z.boolean(),
  /** Changes when this node's stream for the VE starts over (state lost): deltas then count from 0. */
  epoch: z.string(),
  delta: UsageCounters,
  memBytes: n,
  swapBytes: n,
  pids: n,
  diskUsed: n.optional(),
  diskTotal: n.optional(),
  inodesUsed: n.optional(),
  inodesTotal: n.optional(),
  /** Names of the processes the kernel killed for memory since the previous sample (from the host's kernel log). */
  oomTasks: z.array(z.string()).optional(),
});
export type UsageSample = z.output<typeof UsageSample>;

export const UsageBatch = z.object({
  seq: n,
  /** Sample time, ms since the epoch. */
  ts: n,
  intervalMs: n,
  samples: z.array(UsageSample),
});
export type UsageBatch = z.output<typeof UsageBatch>;

/** Usage sampling: the panel pulls buffered batches and acknowledges what it stored. */
export const usageMethods = {
  'usage.pull': defineMethod({
    params: z.object({
      /** Spool the acknowledged seq belongs to (a different spool ignores the ack). */
      spool: z.string().optional(),
      /** Batches up to this seq are stored by the panel and may be deleted. */
      ack: n.optional(),
      max: z.number().int().min(1).max(500).default(60),
    }),
    result: z.object({ spool: z.string(), batches: z.array(UsageBatch), more: z.boolean() }),
    mutating: false,
    description: 'Buffered usage samples (oldest first); acknowledges the ones already stored.',
  }),
};
