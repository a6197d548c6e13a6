'use client';
// An admin's web console to any VE (the server checks the role before the WebSocket opens).
import Link from 'next/link';
import { use } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { PageHeader } from '@/app/_components/Card';
import { Console } from '@/app/_components/Console';
import { VeStateBadge } from '@/app/_components/VeStateBadge';

export default function AdminVeConsolePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const trpc = useTRPC();
  const ve = useQuery(trpc.ves.get.queryOptions({ id }));
  const v = ve.data;
  return (
    <>
      <PageHeader
        title={<span className="flex items-center gap-3">Console{v && <><span className="font-normal text-slate-500">{v.hostname}</span><VeStateBadge state={v.state} /></>}</span>}
        description={v ? <>VE <span className="font-mono">{v.ctid}</span> on {v.node.name}</> : undefined}
        actions={<Link href={`/admin/ves/${id}`} className="text-sm text-indigo-600 hover:underline">Back to the VE</Link>}
      />
      <Console veId={id} />
    </>
  );
}
