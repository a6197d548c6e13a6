import { z } from 'zod';
import { RANGES } from '@/server/services/usage/series';

export const Range = z.enum(Object.keys(RANGES) as [keyof typeof RANGES, ...(keyof typeof RANGES)[]]);
const nums = z.array(z.number());

/** Column-wise series (uPlot's layout): ts in seconds, CPU in % of one core, rates in bytes/s. */
export const SeriesOutput = z.object({
  range: Range,
  resolution: z.enum(['10s', '5m', '1h']),
  ts: nums, cpuPct: nums, memAvg: nums, memMax: nums, swapMax: nums, diskUsed: z.array(z.number().nullable()),
  netIn: nums, netOut: nums, rd: nums, wr: nums,
});

export const TimelineOutput = z.array(z.object({
  kind: z.string(), at: z.string(), until: z.string(), count: z.number().int(), text: z.string(),
}));

export const VeRangeInput = z.object({ id: z.string().min(1).max(64), range: Range.default('24h') });
export const VeEventsInput = z.object({ id: z.string().min(1).max(64), days: z.number().int().min(1).max(400).default(30) });

export const toTimeline = (rows: { kind: string; at: Date; until: Date; count: number; text: string }[]) =>
  rows.map((r) => ({ ...r, at: r.at.toISOString(), until: r.until.toISOString() }));
