'use client';
import { useEffect, useRef } from 'react';
import 'uplot/dist/uPlot.min.css';
import { formatBytes } from '@/app/_lib/format';

export interface ChartLine { label: string; values: (number | null)[]; color: string }

const fmt = (unit: 'pct' | 'bytes' | 'rate', v: number | null) =>
  v == null ? '—' : unit === 'pct' ? `${v.toFixed(1)} %` : unit === 'bytes' ? formatBytes(v) : `${formatBytes(Math.round(v))}/s`;

/** One uPlot time-series chart; uPlot is loaded in the browser only (it needs a canvas). */
export function UsageChart({ title, ts, lines, unit, testId }: { title: string; ts: number[]; lines: ChartLine[]; unit: 'pct' | 'bytes' | 'rate'; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let plot: { destroy(): void } | undefined;
    let cancelled = false;
    void import('uplot').then(({ default: UPlot }) => {
      if (cancelled || !box.current) return;
      const width = Math.max(280, box.current.clientWidth);
      plot = new UPlot({
        width, height: 160,
        series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 1.5, value: (_u: unknown, v: number | null) => fmt(unit, v) }))],
        axes: [{}, { size: 70, values: (_u: unknown, vals: number[]) => vals.map((v) => fmt(unit, v)) }],
        scales: { y: { range: (_u: unknown, _min: number, max: number) => [0, max > 0 ? max * 1.1 : 1] } },
        legend: { show: true },
      }, [ts, ...lines.map((l) => l.values)] as never, box.current);
    });
    return () => { cancelled = true; plot?.destroy(); };
  }, [ts, lines, unit]);
  return (
    <div data-testid={testId} data-points={ts.length}>
      <h3 className="mb-1 text-sm font-medium text-slate-700">{title}</h3>
      <div ref={box} className="w-full" />
    </div>
  );
}
