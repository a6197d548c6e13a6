'use client';
import { PageHeader } from '@/app/_components/Card';
import { TotpSettings } from '@/app/_components/TotpSettings';
import { PasswordChange } from '@/app/_components/PasswordChange';

export default function PortalAccountPage() {
  return (
    <>
      <PageHeader title="Account" description="Security settings for your sign-in." />
      <PasswordChange />
      <TotpSettings />
    </>
  );
}
