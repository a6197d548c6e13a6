'use client';
import { PageHeader } from '@/app/_components/Card';
import { ImportSources } from '@/app/_components/ImportSources';
import { ImportVes } from '@/app/_components/ImportVes';
import { CanChange } from '@/app/_components/Can';
import { Alert } from '@/app/_components/Alert';

export default function ImportsPage() {
  return (
    <>
      <PageHeader title="Import from OpenVZ" description="Bring VEs over from OpenVZ 6 or 7 servers (simfs). Each import is a dry run first: every parameter and what it becomes, and what cannot be carried over." />
      <CanChange otherwise={<Alert tone="info">Imports change the fleet: they are for owners and admins.</Alert>}>
        <ImportSources />
        <ImportVes />
      </CanChange>
    </>
  );
}
