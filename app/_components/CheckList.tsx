'use client';
// A wrapping list of checkboxes under a legend; `value` is the checked keys.
import type { ReactNode } from 'react';

export interface CheckOption<T extends string> {
  value: T;
  label: ReactNode;
  /** Tooltip of the option. */
  title?: string;
  /** data-testid of the option's checkbox. */
  testId?: string;
}

export function CheckList<T extends string>({ label, options, value, onChange, testId }: {
  label: ReactNode; options: readonly CheckOption<T>[]; value: T[]; onChange: (v: T[]) => void; testId?: string;
}) {
  const toggle = (v: T) => onChange(value.includes(v) ? value.filter((x) => x !== v) : [...value, v]);
  return (
    <fieldset data-testid={testId}>
      <legend className="mb-1.5 text-sm font-medium text-slate-700">{label}</legend>
      <div className="flex flex-wrap gap-x-4 gap-y-1.5">
        {options.length === 0 && <span className="text-xs text-slate-400">none</span>}
        {options.map((o) => (
          <label key={o.value} className="flex items-center gap-1.5 text-sm text-slate-700" title={o.title}>
            <input type="checkbox" className="size-4 accent-indigo-600" checked={value.includes(o.value)} onChange={() => toggle(o.value)} data-testid={o.testId} />
            {o.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
