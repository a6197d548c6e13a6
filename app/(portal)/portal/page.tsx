'use client';
// Customer home: the user's own VEs (portal.myVes is owner-scoped on the server).
import Link from 'next/link';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { PageHeader, Card, CardBody } from '@/app/_components/Card';
import { ErrorAlert } from '@/app/_components/Alert';
import { VeStateBadge } from '@/app/_components/VeStateBadge';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

export default function PortalHome() {
  const trpc = useTRPC();
  const ves = useQuery({ ...trpc.portal.myVes.queryOptions({}), refetchInterval: 5_000 });
  return (
    <>
      <PageHeader title="Your servers" description="Containers on your account." />
      <ErrorAlert error={ves.error} className="mb-4" />
      <Card>
        <Table>
          <THead><tr><Th>Hostname</Th><Th>Address</Th><Th>Plan</Th><Th>OS</Th><Th>State</Th></tr></THead>
          <TBody>
            {ves.isPending && <EmptyRow colSpan={5}>Loading…</EmptyRow>}
            {ves.data?.total === 0 && (
              <EmptyRow colSpan={5}><span data-testid="portal-empty">You have no servers yet.</span></EmptyRow>
            )}
            {ves.data?.items.map((v) => (
              <tr key={v.id} className="hover:bg-slate-50" data-testid={`my-ve-${v.ctid}`}>
                <Td className="font-medium"><Link href={`/portal/ves/${v.id}`} className="text-indigo-600 hover:underline">{v.hostname}</Link></Td>
                <Td className="font-mono text-xs">{v.ipAddresses.join(', ') || '—'}</Td>
                <Td>{v.plan ?? '—'}</Td>
                <Td>{v.template}</Td>
                <Td><VeStateBadge state={v.state} /></Td>
              </tr>
            ))}
          </TBody>
        </Table>
      </Card>
      {ves.data?.total === 0 && (
        <Card className="mt-6">
          <CardBody className="text-sm text-slate-600">Need a server? Order one from your provider; it appears here once it is created.</CardBody>
        </Card>
      )}
    </>
  );
}
