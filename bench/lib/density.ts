// Shared by the density benchmarks (bench/density.ts through the agent, bench/density-panel.ts through
// the panel): the raw-LXC peer spread over bridges of 1,000 ports, its addresses, and latency windows.
import { deleteBridge, ensureBridge } from '@/agents/src/net/bridge';
import { median, percentile, round } from './stats';
import type { RawPeer } from './raw-lxc';

const RAW_PER_BRIDGE = 1000;

/** Address number i (from 0) in the /20 whose first /24 is 10.199.<third>: .1 is the host, VEs from .2. */
export const ipIn20 = (third: number, i: number) => { const h = i + 2; return `10.199.${third + (h >> 8)}.${h & 255}/20`; };

/** Raw VEs on bridges `<prefix>1`, `<prefix>2`, ... of 1,000 ports each (made on demand; `cleanup` removes them). */
export function rawBridges(base: Omit<RawPeer, 'bridge'>, prefix: string) {
  const made: string[] = [];
  return {
    async peer(i: number): Promise<RawPeer> {
      const bridge = `${prefix}${Math.floor(i / RAW_PER_BRIDGE) + 1}`;
      if (!made.includes(bridge)) { await ensureBridge(bridge); made.push(bridge); }
      return { ...base, bridge };
    },
    async cleanup() { for (const b of made.splice(0)) await deleteBridge(b); },
  };
}

/** p50 / p95 of a window of latencies, rounded to ms (NaN when empty). */
export const p50 = (xs: number[]) => round(median(xs), 0);
export const p95 = (xs: number[]) => round(percentile(xs, 95), 0);
