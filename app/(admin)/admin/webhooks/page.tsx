'use client';
import { PageHeader } from '@/app/_components/Card';
import { Endpoints } from './_components/Endpoints';
import { Deliveries } from './_components/Deliveries';
import { AllowedNetworks } from './_components/AllowedNetworks';

export default function WebhooksPage() {
  return (
    <>
      <PageHeader title="Webhooks" description="Signed event notifications for billing systems. Every event names the VE by id, CTID and external id, even after it was destroyed." />
      <div className="space-y-6">
        <Endpoints />
        <Deliveries />
        <AllowedNetworks />
      </div>
    </>
  );
}
