'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatBytes, formatDate } from '@/app/_lib/format';
import { Card, PageHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { CanChange } from '@/app/_components/Can';
import { Button } from '@/app/_components/Button';
import { ErrorAlert } from '@/app/_components/Alert';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';
import { TemplateUpload } from '@/app/_components/TemplateUpload';
import { CacheStates } from './_components/CacheStates';
import { SyncNode } from './_components/SyncNode';

export default function TemplatesPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  // While copies are under way the page follows them.
  const list = useQuery({ ...trpc.templates.list.queryOptions(), refetchInterval: (q) => (q.state.data?.some((t) => t.nodes.some((c) => c.state === 'pending' || c.state === 'syncing')) ? 3000 : false) });
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const prune = useMutation(trpc.templates.prune.mutationOptions({ onSuccess: () => qc.invalidateQueries({ queryKey: trpc.templates.list.queryKey() }) }));
  const sync = useMutation(trpc.templates.sync.mutationOptions({ onSuccess: () => qc.invalidateQueries({ queryKey: trpc.templates.list.queryKey() }) }));
  const toggle = useMutation(trpc.templates.setEnabled.mutationOptions({ onSuccess: () => qc.invalidateQueries({ queryKey: trpc.templates.list.queryKey() }) }));
  const nodeName = (id: string) => nodes.data?.find((n) => n.id === id)?.name ?? id.slice(0, 8);
  return (
    <>
      <PageHeader title="Templates" description="OS templates. Each new version is copied to every online node ahead of need (per node: pending, syncing, ready or failed with the reason); a node without it gets it before a create lands there. Built-in ones (busybox, debian-12) are built on a node the first time a VE needs them; upload your own root filesystem below (checked before it is kept)." />
      <ErrorAlert error={list.error ?? toggle.error ?? prune.error ?? sync.error} className="mb-4" />
      <CanChange>
        <Card className="mb-4 space-y-4 p-4">
          <TemplateUpload onDone={() => qc.invalidateQueries({ queryKey: trpc.templates.list.queryKey() })} />
          <SyncNode nodes={nodes.data ?? []} busy={sync.isPending} onSync={(nodeId) => sync.mutate({ nodeId })} />
        </Card>
      </CanChange>
      <Card>
        <Table>
          <THead><tr><Th>Name</Th><Th>Version</Th><Th>OS</Th><Th>Arch</Th><Th>Size</Th><Th>Cached on</Th><Th>Added</Th><Th>Status</Th><Th /></tr></THead>
          <TBody>
            {list.data?.length === 0 && <EmptyRow colSpan={9}>No templates yet.</EmptyRow>}
            {list.data?.map((t) => (
              <tr key={t.id} data-testid={`template-row-${t.name}`}>
                <Td className="font-mono font-medium text-slate-900">{t.name}</Td>
                <Td data-testid={`template-version-${t.name}`}>v{t.versionNumber}</Td>
                <Td>{t.os} {t.version}</Td>
                <Td>{t.arch}</Td>
                <Td>{formatBytes(t.sizeBytes)}</Td>
                <Td><CacheStates template={t.name} caches={t.nodes} nodeName={nodeName} busy={sync.isPending} onRetry={(nodeId) => sync.mutate({ templateId: t.id, nodeId })} /></Td>
                <Td className="text-slate-500">{formatDate(t.createdAt)}</Td>
                <Td>{t.enabled ? <Badge tone="green">offered</Badge> : <Badge>hidden</Badge>}</Td>
                <Td className="space-x-2 text-right"><CanChange><Button size="sm" variant="secondary" title="Copy the newest version to every online node now" onClick={() => sync.mutate({ templateId: t.id })}>Sync</Button>{t.versionNumber > 1 && <Button size="sm" variant="secondary" title="Delete old versions no VE uses" onClick={() => prune.mutate({ id: t.id })}>Prune</Button>}<Button size="sm" variant="secondary" onClick={() => toggle.mutate({ id: t.id, enabled: !t.enabled })}>{t.enabled ? 'Hide' : 'Offer'}</Button></CanChange></Td>
              </tr>
            ))}
          </TBody>
        </Table>
      </Card>
    </>
  );
}
