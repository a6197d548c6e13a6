// Test/benchmark only (VZ_AGENT_TEST_HANDLERS=1): the daemon's memory after a forced GC, so a
// benchmark can tell per-VE state from heap the collector has not yet reclaimed (issue 15).
import { readdirSync } from 'node:fs';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { defineHandler } from './types';

let gcFn: (() => void) | undefined;

/** The V8 collector, exposed on first use without starting node with --expose-gc. */
function collector(): () => void {
  if (gcFn) return gcFn;
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return (gcFn = g);
  setFlagsFromString('--expose-gc');
  return (gcFn = runInNewContext('gc') as () => void);
}

export const testMemory = defineHandler({
  method: 'test.memory',
  async run(p) {
    if (p.gc) {
      // Twice: the first pass queues weak callbacks and finalizers, the second frees what they released.
      collector()();
      await new Promise((r) => setImmediate(r));
      collector()();
    }
    const snapshot = p.snapshot ? writeHeapSnapshot(p.snapshot) : undefined;
    const m = process.memoryUsage();
    return {
      rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers,
      gc: p.gc, fds: readdirSync('/proc/self/fd').length, snapshot,
    };
  },
});
