import { Button } from '@/app/_components/Button';

/** "1–50 of 10,000" with previous/next; pages are 1-based. */
export function Pager({ page, pageSize, total, onPage }: { page: number; pageSize: number; total: number; onPage: (p: number) => void }) {
  const last = Math.max(1, Math.ceil(total / pageSize));
  const from = total ? (page - 1) * pageSize + 1 : 0;
  const to = Math.min(total, page * pageSize);
  return (
    <div className="flex items-center justify-between gap-3 border-t border-slate-200 px-4 py-3 text-sm text-slate-600">
      <span data-testid="pager-range">{from}–{to} of {total.toLocaleString('en-US')}</span>
      <span className="flex items-center gap-2">
        <Button variant="secondary" size="sm" disabled={page <= 1} onClick={() => onPage(page - 1)}>Previous</Button>
        <span className="tabular-nums">Page {page} / {last}</span>
        <Button variant="secondary" size="sm" disabled={page >= last} onClick={() => onPage(page + 1)} data-testid="pager-next">Next</Button>
      </span>
    </div>
  );
}
