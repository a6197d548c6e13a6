'use client';
// The confirm step in front of anything destructive: the first click only opens a box that says
// what will happen; the action runs from the box's own button.
import { useState, type ReactNode } from 'react';
import { Button } from '@/app/_components/Button';

export function ConfirmAction({ label, title, children, confirmLabel, onConfirm, busy, disabled, variant = 'danger', testId }: {
  label: ReactNode; title: ReactNode; children?: ReactNode; confirmLabel: string; onConfirm: () => void;
  busy?: boolean; disabled?: boolean; variant?: 'danger' | 'primary' | 'secondary'; testId: string;
}) {
  const [open, setOpen] = useState(false);
  if (!open) return <Button variant={variant} disabled={disabled} onClick={() => setOpen(true)} data-testid={testId}>{label}</Button>;
  return (
    <div role="alertdialog" aria-label={typeof title === 'string' ? title : undefined} className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950" data-testid={`${testId}-confirm`}>
      <p className="font-semibold">{title}</p>
      {children && <div className="mt-1">{children}</div>}
      <div className="mt-3 flex gap-2">
        <Button variant={variant === 'secondary' ? 'primary' : variant} loading={busy} onClick={() => { onConfirm(); setOpen(false); }} data-testid={`${testId}-yes`}>{confirmLabel}</Button>
        <Button variant="secondary" onClick={() => setOpen(false)}>Cancel</Button>
      </div>
    </div>
  );
}
