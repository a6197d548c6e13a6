'use client';
import { useState } from 'react';
import { Button } from '@/app/_components/Button';
import { Select } from '@/app/_components/Select';

/** "Copy every enabled template to this node now" (a new or rebuilt node, or after fixing its disk). */
export function SyncNode({ nodes, onSync, busy }: { nodes: Array<{ id: string; name: string }>; onSync: (nodeId: string) => void; busy: boolean }) {
  const [nodeId, setNodeId] = useState('');
  return (
    <div className="flex items-center gap-2 text-sm text-slate-600">
      <span>Copy every enabled template to</span>
      <Select className="w-48" value={nodeId} onChange={(e) => setNodeId(e.target.value)} aria-label="Node" data-testid="template-sync-node">
        <option value="">choose a node…</option>
        {nodes.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
      </Select>
      <Button size="sm" variant="secondary" disabled={!nodeId || busy} onClick={() => onSync(nodeId)}>Sync node</Button>
    </div>
  );
}
