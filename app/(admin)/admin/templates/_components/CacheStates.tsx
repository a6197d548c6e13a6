'use client';
import { Badge, type Tone } from '@/app/_components/Badge';
import { CanChange } from '@/app/_components/Can';
import { formatDate } from '@/app/_lib/format';

export interface CacheState {
  nodeId: string;
  state: string;
  error: string | null;
  syncedAt: string | null;
}

const tone = (s: string): Tone => (s === 'ready' ? 'green' : s === 'failed' ? 'red' : s === 'syncing' ? 'indigo' : 'amber');

/** Where one template is cached: a badge per node (state), the reason under a failed or retrying one, and retry for staff who may change things. */
export function CacheStates({ template, caches, nodeName, onRetry, busy }: {
  template: string;
  caches: CacheState[];
  nodeName: (id: string) => string;
  onRetry: (nodeId: string) => void;
  busy: boolean;
}) {
  if (!caches.length) return <span className="text-xs text-slate-400">no node yet</span>;
  return (
    <ul className="space-y-1">
      {caches.map((c) => (
        <li key={c.nodeId} data-testid={`template-cache-${template}-${nodeName(c.nodeId)}`} className="text-xs">
          <span title={c.syncedAt ? `copied ${formatDate(c.syncedAt)}` : c.state}>
            <Badge tone={tone(c.state)}>{nodeName(c.nodeId)}: {c.state}</Badge>
          </span>
          {c.state !== 'ready' && c.state !== 'syncing' && (
            <CanChange>
              <button type="button" disabled={busy} onClick={() => onRetry(c.nodeId)} className="ml-2 text-indigo-600 hover:underline disabled:opacity-50" data-testid={`template-retry-${template}-${nodeName(c.nodeId)}`}>
                {c.state === 'failed' ? 'Retry' : 'Sync now'}
              </button>
            </CanChange>
          )}
          {c.error && c.state !== 'ready' && <p className="mt-0.5 max-w-xs text-red-700" data-testid={`template-cache-error-${template}-${nodeName(c.nodeId)}`}>{c.error}</p>}
        </li>
      ))}
    </ul>
  );
}
