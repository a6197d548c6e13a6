import type { InputHTMLAttributes, ReactNode } from 'react';
import { useId } from 'react';
import { cn } from '@/app/_lib/cn';

export function Input({ className, ...props }: InputHTMLAttributes<HTMLInputElement>) {
  return (
    <input
      {...props}
      className={cn(
        'block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300',
        'placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600 disabled:bg-slate-50 disabled:text-slate-500',
        'aria-[invalid=true]:ring-red-500',
        className,
      )}
    />
  );
}

/** Label + input + hint/error, wired with ids for screen readers. */
export function Field({ label, hint, error, ...props }: InputHTMLAttributes<HTMLInputElement> & { label: ReactNode; hint?: ReactNode; error?: string }) {
  const id = useId();
  return (
    <div>
      <label htmlFor={props.id ?? id} className="mb-1.5 block text-sm font-medium text-slate-700">{label}</label>
      <Input id={id} aria-invalid={error ? true : undefined} aria-describedby={hint || error ? `${id}-hint` : undefined} {...props} />
      {(error || hint) && (
        <p id={`${id}-hint`} className={cn('mt-1 text-xs', error ? 'text-red-600' : 'text-slate-500')}>{error ?? hint}</p>
      )}
    </div>
  );
}
