'use client';
import type { ReactNode } from 'react';
import type { RouterOutputs } from '@/app/_lib/trpc';
import { formatBytes, formatLoad, formatMiB, percent, formatAgo } from '@/app/_lib/format';
import { Badge } from '@/app/_components/Badge';
import { Meter } from '@/app/_components/Meter';

export type NodeRow = RouterOutputs['nodes']['list'][number];

function Figure({ label, children, testId, sub }: { label: string; children: ReactNode; testId: string; sub?: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-1 truncate text-sm font-semibold text-slate-900" data-testid={testId}>{children}</dd>
      {sub && <div className="mt-1 text-xs text-slate-500">{sub}</div>}
    </div>
  );
}

/** Capacity and health figures of one node, exactly as its agent last reported them. */
export function NodeFigures({ node }: { node: NodeRow }) {
  const info = node.info;
  const caps = node.capabilities;
  const mem = info?.memory;
  const disk = info?.disk;
  const memUsed = mem ? percent(mem.totalBytes - mem.availableBytes, mem.totalBytes) : 0;
  const diskUsed = disk ? percent(disk.totalBytes - disk.freeBytes, disk.totalBytes) : 0;
  return (
    <dl className="grid grid-cols-2 gap-x-6 gap-y-5 sm:grid-cols-3 lg:grid-cols-4">
      <Figure label="Memory" testId="node-memory-total" sub={mem && (
        <div className="space-y-1">
          <Meter value={memUsed} label="Memory used" />
          <span data-testid="node-memory-available" data-bytes={mem.availableBytes}>{formatBytes(mem.availableBytes)} available</span>
          <span className="text-slate-400"> · {formatMiB(mem.totalBytes)}</span>
        </div>
      )}>
        {mem ? <span data-bytes={mem.totalBytes}>{formatBytes(mem.totalBytes)}</span> : '—'}
      </Figure>
      <Figure label="Disk" testId="node-disk-total" sub={disk && (
        <div className="space-y-1">
          <Meter value={diskUsed} label="Disk used" />
          <span data-testid="node-disk-free" data-bytes={disk.freeBytes}>{formatBytes(disk.freeBytes)} free</span>
        </div>
      )}>
        {disk ? <span data-bytes={disk.totalBytes}>{formatBytes(disk.totalBytes)}</span> : '—'}
      </Figure>
      <Figure label="CPUs" testId="node-cpus" sub={<span data-testid="node-load">load {formatLoad(info?.load)}</span>}>
        {info?.cpus ?? '—'}
      </Figure>
      <Figure label="Containers" testId="node-ves" sub="running / total">
        {info ? `${info.ves.running} / ${info.ves.total}` : '—'}
      </Figure>
      <Figure label="LXC" testId="node-lxc-version">{caps?.lxcVersion ?? '—'}</Figure>
      <Figure label="cgroup" testId="node-cgroup">{caps?.cgroup ?? '—'}</Figure>
      <Figure label="Live migration (CRIU)" testId="node-criu" sub={caps && !caps.criu.usable && caps.criu.reason && (
        <span className="line-clamp-2 whitespace-normal" title={caps.criu.reason} data-testid="node-criu-reason">{caps.criu.reason}</span>
      )}>
        {caps ? (caps.criu.usable ? <Badge tone="green">usable</Badge> : <Badge tone="amber">not usable</Badge>) : '—'}
      </Figure>
      <Figure label="Last seen" testId="node-last-seen">{formatAgo(node.lastSeenAt)}</Figure>
    </dl>
  );
}
