import type { HTMLAttributes } from 'react';
import { cn } from '@/app/_lib/cn';

export type Tone = 'green' | 'red' | 'amber' | 'slate' | 'indigo';

const tones: Record<Tone, string> = {
  green: 'bg-emerald-50 text-emerald-700 ring-emerald-600/20',
  red: 'bg-red-50 text-red-700 ring-red-600/20',
  amber: 'bg-amber-50 text-amber-800 ring-amber-600/20',
  slate: 'bg-slate-100 text-slate-700 ring-slate-500/20',
  indigo: 'bg-indigo-50 text-indigo-700 ring-indigo-600/20',
};

const dots: Record<Tone, string> = {
  green: 'bg-emerald-500', red: 'bg-red-500', amber: 'bg-amber-500', slate: 'bg-slate-400', indigo: 'bg-indigo-500',
};

export function Badge({ tone = 'slate', dot, className, children, ...props }: HTMLAttributes<HTMLSpanElement> & { tone?: Tone; dot?: boolean }) {
  return (
    <span {...props} className={cn('inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset', tones[tone], className)}>
      {dot && <span className={cn('size-1.5 rounded-full', dots[tone])} aria-hidden />}
      {children}
    </span>
  );
}

/** A node's state as a coloured badge: online green, offline red, anything else amber. */
export function NodeStateBadge({ state, ...props }: { state: string } & HTMLAttributes<HTMLSpanElement>) {
  const tone: Tone = state === 'online' ? 'green' : state === 'offline' ? 'red' : 'amber';
  return <Badge tone={tone} dot {...props}>{state}</Badge>;
}
