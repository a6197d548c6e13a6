'use client';
import { Button } from '@/app/_components/Button';

/** Last-resort boundary: a render error shows a retry instead of a blank page. */
export default function ErrorBoundary({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="flex min-h-screen flex-col items-center justify-center gap-3 px-4 text-center">
      <h1 className="text-2xl font-semibold text-slate-900">Something went wrong</h1>
      <p className="max-w-md text-slate-500">{error.digest ? `Reference ${error.digest}.` : error.message}</p>
      <Button onClick={reset}>Try again</Button>
    </div>
  );
}
