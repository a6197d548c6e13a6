'use client';
// /admin/bulk/new: the bulk-job form (reads ?veIds= / ?ctids= from the VE table, hence the Suspense boundary).
import { Suspense } from 'react';
import Link from 'next/link';
import { PageHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { BulkForm } from '../_components/BulkForm';

export default function NewBulkJobPage() {
  return (
    <>
      <PageHeader title="New bulk job" description="Run a script, update packages, change power state or limits on many VEs, in batches."
        actions={<Link href="/admin/bulk"><Button variant="secondary">All bulk jobs</Button></Link>} />
      <Suspense fallback={null}><BulkForm /></Suspense>
    </>
  );
}
