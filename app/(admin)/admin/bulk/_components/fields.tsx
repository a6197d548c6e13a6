'use client';
// Small form pieces of the bulk-job form: its types and the parsers of free-text lists.
import type { RouterInputs } from '@/app/_lib/trpc';

export type Selector = RouterInputs['bulk']['preview']['selector'];
export type Action = RouterInputs['bulk']['create']['action'];
export type Rollout = NonNullable<RouterInputs['bulk']['create']['rollout']>;

export const VE_STATES = ['creating', 'stopped', 'running', 'suspended', 'migrating', 'reinstalling', 'error', 'destroying', 'restoring'] as const;
export type VeState = (typeof VE_STATES)[number];
// Mirrors server LimitFields (names only; the server validates ranges).
export const LIMIT_KEYS = ['ram', 'swap', 'diskspace', 'diskinodes', 'cpuunits', 'cpulimit', 'cpus', 'numproc', 'ioprio', 'iolimit', 'bandwidth'] as const;

export const splitList = (s: string) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

/** "101 102, 110-115" -> [101, 102, 110..115]; throws on anything else so the admin sees the typo. */
export function parseCtids(s: string): number[] {
  const out: number[] = [];
  for (const part of splitList(s)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a CTID or range`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    if (b < a || b - a > 10_000) throw new Error(`bad range "${part}"`);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

/** "" -> undefined, else a whole number (throws naming the field). */
export function optInt(s: string, field: string): number | undefined {
  if (s.trim() === '') return undefined;
  const n = Number(s);
  if (!Number.isInteger(n)) throw new Error(`${field}: whole number expected`);
  return n;
}

export const nonEmpty = <T,>(a: T[]): T[] | undefined => (a.length ? a : undefined);
