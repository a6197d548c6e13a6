'use client';
// A customer's web console to one of their own VEs; another customer's id is refused by the server like a missing one.
import Link from 'next/link';
import { use } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { PageHeader } from '@/app/_components/Card';
import { Console } from '@/app/_components/Console';
import { VeStateBadge } from '@/app/_components/VeStateBadge';

export default function PortalVeConsolePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const trpc = useTRPC();
  const ve = useQuery(trpc.portal.ve.queryOptions({ id }));
  const v = ve.data;
  return (
    <>
      <PageHeader
        title={<span className="flex items-center gap-3">Console{v && <><span className="font-normal text-slate-500">{v.hostname}</span><VeStateBadge state={v.state} /></>}</span>}
        actions={<Link href={`/portal/ves/${id}`} className="text-sm text-indigo-600 hover:underline">Back to the server</Link>}
      />
      <Console veId={id} />
    </>
  );
}
