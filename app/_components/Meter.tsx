import { cn } from '@/app/_lib/cn';

/** A thin usage bar; turns amber at 75 % and red at 90 %. */
export function Meter({ value, label }: { value: number; label: string }) {
  const v = Math.min(100, Math.max(0, value));
  const color = v >= 90 ? 'bg-red-500' : v >= 75 ? 'bg-amber-500' : 'bg-indigo-500';
  return (
    <div className="h-1.5 w-full overflow-hidden rounded-full bg-slate-100" role="meter" aria-label={label} aria-valuenow={v} aria-valuemin={0} aria-valuemax={100}>
      <div className={cn('h-full rounded-full', color)} style={{ width: `${v}%` }} />
    </div>
  );
}
