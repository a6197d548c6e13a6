'use client';
// The "what to do" part of the bulk form: script, package update, power or limits, as plain strings until submit.
import { Field } from '@/app/_components/Input';
import { SelectField } from '@/app/_components/Select';
import { LIMIT_KEYS, optInt, splitList, type Action } from './fields';

export type ActionDraft = {
  type: 'script' | 'packageUpdate' | 'power' | 'limits';
  script: string; scriptTimeout: string;
  upgrade: boolean; packages: string; pkgTimeout: string;
  power: 'start' | 'stop' | 'restart';
  limits: Partial<Record<(typeof LIMIT_KEYS)[number], string>>;
};
export const emptyAction: ActionDraft = { type: 'script', script: '', scriptTimeout: '300', upgrade: true, packages: '', pkgTimeout: '1800', power: 'restart', limits: {} };

/** The draft as the server's action; throws a readable message on bad input. */
export function buildAction(d: ActionDraft): Action {
  switch (d.type) {
    case 'script':
      if (!d.script.trim()) throw new Error('script: write the script to run');
      return { type: 'script', script: d.script, timeoutSec: optInt(d.scriptTimeout, 'timeout') ?? 300 };
    case 'packageUpdate': {
      const packages = splitList(d.packages);
      return { type: 'packageUpdate', upgrade: d.upgrade, timeoutSec: optInt(d.pkgTimeout, 'timeout') ?? 1800, ...(packages.length ? { packages } : {}) };
    }
    case 'power':
      return { type: 'power', action: d.power };
    case 'limits': {
      const overrides: Record<string, number | null> = {};
      for (const k of LIMIT_KEYS) {
        const v = (d.limits[k] ?? '').trim();
        if (v === '') continue;
        // "plan" removes the override so the VE falls back to its plan's value.
        overrides[k] = v.toLowerCase() === 'plan' ? null : optInt(v, k)!;
      }
      if (!Object.keys(overrides).length) throw new Error('limits: set at least one field');
      return { type: 'limits', overrides };
    }
  }
}

export function ActionFields({ value: d, onChange }: { value: ActionDraft; onChange: (d: ActionDraft) => void }) {
  const set = (p: Partial<ActionDraft>) => onChange({ ...d, ...p });
  return (
    <div className="space-y-4">
      <SelectField label="Action" value={d.type} onChange={(e) => set({ type: e.target.value as ActionDraft['type'] })} data-testid="bulk-action-type">
        <option value="script">Run script</option>
        <option value="packageUpdate">Package update (apt)</option>
        <option value="power">Power (start / stop / restart)</option>
        <option value="limits">Change limits</option>
      </SelectField>
      {d.type === 'script' && (
        <>
          <div>
            <label htmlFor="bulk-script" className="mb-1.5 block text-sm font-medium text-slate-700">Script (sent to /bin/sh on stdin in each VE)</label>
            <textarea id="bulk-script" data-testid="bulk-script" rows={8} spellCheck={false} value={d.script} onChange={(e) => set({ script: e.target.value })}
              className="block w-full rounded-md border-0 px-3 py-2 font-mono text-xs text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
              placeholder={'#!/bin/sh\nset -e\nuptime'} />
          </div>
          <Field label="Timeout (seconds, per VE)" type="number" min={1} max={86400} className="max-w-40" value={d.scriptTimeout} onChange={(e) => set({ scriptTimeout: e.target.value })} />
        </>
      )}
      {d.type === 'packageUpdate' && (
        <>
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" className="size-4 accent-indigo-600" checked={d.upgrade} onChange={(e) => set({ upgrade: e.target.checked })} />
            Upgrade installed packages
          </label>
          <Field label="Only these packages (optional)" placeholder="openssl libssl3" value={d.packages} onChange={(e) => set({ packages: e.target.value })}
            hint="Space or comma separated Debian package names; empty = full upgrade. VEs without apt are skipped." />
          <Field label="Timeout (seconds, per VE)" type="number" min={10} max={86400} className="max-w-40" value={d.pkgTimeout} onChange={(e) => set({ pkgTimeout: e.target.value })} />
        </>
      )}
      {d.type === 'power' && (
        <SelectField label="Power action" value={d.power} onChange={(e) => set({ power: e.target.value as ActionDraft['power'] })}>
          <option value="start">start</option><option value="stop">stop</option><option value="restart">restart</option>
        </SelectField>
      )}
      {d.type === 'limits' && (
        <div>
          <p className="mb-2 text-xs text-slate-500">Empty = unchanged; a number sets the override; <code>plan</code> removes the override (back to the plan value).</p>
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
            {LIMIT_KEYS.map((k) => (
              <Field key={k} label={k} value={d.limits[k] ?? ''} onChange={(e) => set({ limits: { ...d.limits, [k]: e.target.value } })} data-testid={`bulk-limit-${k}`} />
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
