'use client';
import { PageHeader } from '@/app/_components/Card';
import { ImportSources } from '@/app/_components/ImportSources';
import { ImportVes } from '@/app/_components/ImportVes';

export default function ImportsPage() {
  return (
    <>
      <PageHeader title="Import from OpenVZ" description="Bring VEs over from OpenVZ 6 or 7 servers (simfs). Each import is a dry run first: every parameter and what it becomes, and what cannot be carried over." />
      <ImportSources />
      <ImportVes />
    </>
  );
}
