'use client';
// A modal dialog: a dimmed backdrop, a titled panel, Escape closes (unless `busy`).
import { useEffect, type ReactNode } from 'react';

export function Dialog({ title, onClose, busy, children, testId }: { title: ReactNode; onClose: () => void; busy?: boolean; children: ReactNode; testId?: string }) {
  useEffect(() => {
    const key = (e: KeyboardEvent) => { if (e.key === 'Escape' && !busy) onClose(); };
    window.addEventListener('keydown', key);
    return () => window.removeEventListener('keydown', key);
  }, [onClose, busy]);
  return (
    <div className="fixed inset-0 z-50 flex items-start justify-center overflow-y-auto bg-slate-900/40 p-4 sm:p-10">
      <div role="dialog" aria-modal="true" data-testid={testId} className="w-full max-w-3xl rounded-lg bg-white shadow-xl">
        <div className="flex items-center justify-between border-b border-slate-200 px-5 py-4">
          <h2 className="text-base font-semibold text-slate-900">{title}</h2>
          <button type="button" onClick={onClose} disabled={busy} className="text-slate-400 hover:text-slate-700 disabled:opacity-40" aria-label="Close">✕</button>
        </div>
        <div className="px-5 py-4">{children}</div>
      </div>
    </div>
  );
}
