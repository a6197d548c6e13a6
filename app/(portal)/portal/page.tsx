'use client';
import { PageHeader, Card, CardBody } from '@/app/_components/Card';
import { Table, THead, TBody, Th, EmptyRow } from '@/app/_components/Table';

/** Customer home. VE actions arrive with the control-plane procedures; until then it lists none. */
export default function PortalHome() {
  return (
    <>
      <PageHeader title="Your servers" description="Containers on your account." />
      <Card>
        <Table>
          <THead><tr><Th>Hostname</Th><Th>Address</Th><Th>Plan</Th><Th>State</Th></tr></THead>
          <TBody>
            <EmptyRow colSpan={4}>
              <span data-testid="portal-empty">You have no servers yet.</span>
            </EmptyRow>
          </TBody>
        </Table>
      </Card>
      <Card className="mt-6">
        <CardBody className="text-sm text-slate-600">Need a server? Order one from your provider; it appears here once it is created.</CardBody>
      </Card>
    </>
  );
}
