'use client';
import type { ReactNode } from 'react';
import { cn } from '@/app/_lib/cn';
import { titles, toUiError } from '@/app/_lib/errors';

type Tone = 'error' | 'warning' | 'success' | 'info';

const tones: Record<Tone, string> = {
  error: 'border-red-200 bg-red-50 text-red-800',
  warning: 'border-amber-200 bg-amber-50 text-amber-900',
  success: 'border-emerald-200 bg-emerald-50 text-emerald-800',
  info: 'border-indigo-200 bg-indigo-50 text-indigo-900',
};

export function Alert({ tone = 'info', title, children, className, ...rest }: { tone?: Tone; title?: ReactNode; children?: ReactNode; className?: string; 'data-testid'?: string }) {
  return (
    <div role={tone === 'error' ? 'alert' : 'status'} data-testid={rest['data-testid']} className={cn('rounded-md border px-4 py-3 text-sm', tones[tone], className)}>
      {title && <p className="font-semibold">{title}</p>}
      {children && <div className={cn(title ? 'mt-1' : '')}>{children}</div>}
    </div>
  );
}

/** Shows an error thrown by a tRPC call: a heading per AppError code, the server's message, and the bad field if any. */
export function ErrorAlert({ error, message, title, className }: { error: unknown; message?: string; title?: string; className?: string }) {
  if (!error) return null;
  const e = toUiError(error);
  const tone = e.code === 'BUSY' || e.code === 'NODE_OFFLINE' || e.code === 'RATE_LIMITED' ? 'warning' : 'error';
  return (
    <Alert tone={tone} title={title ?? titles[e.code]} className={className} data-testid="error-alert">
      <span data-error-code={e.code}>{message ?? e.message}</span>
      {e.field && <span className="ml-1 text-xs opacity-80">(field: <code>{e.field}</code>)</span>}
    </Alert>
  );
}
