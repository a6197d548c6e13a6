'use client';
// One VE's output in a bulk job: the stored tails at once, the full log from its node on demand (bulk.log).
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '@/app/_lib/trpc';
import { Button } from '@/app/_components/Button';
import { ErrorAlert } from '@/app/_components/Alert';
import { formatBytes } from '@/app/_lib/format';

type Item = RouterOutputs['bulk']['get']['items'][number];

function Pre({ label, text, tone }: { label: string; text: string | null; tone?: 'red' }) {
  if (!text) return null;
  return (
    <div>
      <p className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">{label}</p>
      <pre className={`max-h-64 overflow-auto whitespace-pre-wrap rounded bg-slate-900 p-3 font-mono text-xs ${tone === 'red' ? 'text-red-200' : 'text-slate-100'}`}>{text}</pre>
    </div>
  );
}

export function ItemLog({ jobId, item }: { jobId: string; item: Item }) {
  const trpc = useTRPC();
  const [full, setFull] = useState(false);
  const log = useQuery({ ...trpc.bulk.log.queryOptions({ id: jobId, ctid: item.ctid }), enabled: full });
  return (
    <div className="space-y-3 bg-slate-50 px-4 py-3" data-testid={`bulk-item-log-${item.ctid}`}>
      {item.error && <p className="text-sm text-red-700">{item.error}</p>}
      <Pre label="stdout (tail)" text={item.stdoutTail} />
      <Pre label="stderr (tail)" text={item.stderrTail} tone="red" />
      {!item.stdoutTail && !item.stderrTail && !item.error && <p className="text-sm text-slate-500">No output recorded.</p>}
      {item.agentOpId && (
        <div className="space-y-2">
          <Button size="sm" variant="secondary" onClick={() => (full ? void log.refetch() : setFull(true))} loading={log.isFetching} data-testid="bulk-full-log">
            {full ? 'Reload full log' : 'Full log'}
          </Button>
          <ErrorAlert error={log.error} />
          {log.data && (
            <>
              <p className="text-xs text-slate-500">{formatBytes(log.data.sizeBytes)}{log.data.truncated ? ' (showing the end)' : ''}</p>
              <Pre label="full log" text={log.data.text || '(empty)'} />
            </>
          )}
        </div>
      )}
    </div>
  );
}
