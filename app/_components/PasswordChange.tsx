'use client';
import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { Alert, ErrorAlert } from '@/app/_components/Alert';

/** Change your own password: the current one is required, and every other session of yours ends. */
export function PasswordChange() {
  const trpc = useTRPC();
  const [f, setF] = useState({ currentPassword: '', newPassword: '', repeat: '' });
  const change = useMutation(trpc.auth.changePassword.mutationOptions({ onSuccess: () => setF({ currentPassword: '', newPassword: '', repeat: '' }) }));
  const mismatch = f.repeat !== '' && f.repeat !== f.newPassword;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!mismatch) change.mutate({ currentPassword: f.currentPassword, newPassword: f.newPassword });
  };
  return (
    <Card className="mb-6">
      <CardHeader title="Password" subtitle="Changing it signs you out everywhere else." />
      <CardBody>
        {change.data && (
          <Alert tone="success" className="mb-4" data-testid="password-changed">
            Password changed. {change.data.otherSessionsEnded} other session{change.data.otherSessionsEnded === 1 ? '' : 's'} ended.
          </Alert>
        )}
        <ErrorAlert error={change.error} className="mb-4" />
        <form onSubmit={submit} className="grid gap-4 md:grid-cols-[1fr_1fr_1fr_auto] md:items-end">
          <Field label="Current password" type="password" autoComplete="current-password" required value={f.currentPassword}
            onChange={(e) => setF({ ...f, currentPassword: e.target.value })} data-testid="pw-current" />
          <Field label="New password" type="password" autoComplete="new-password" required minLength={10} value={f.newPassword}
            onChange={(e) => setF({ ...f, newPassword: e.target.value })} hint="10+ characters" data-testid="pw-new" />
          <Field label="Repeat new password" type="password" autoComplete="new-password" required value={f.repeat}
            onChange={(e) => setF({ ...f, repeat: e.target.value })} error={mismatch ? 'does not match' : undefined} data-testid="pw-repeat" />
          <Button type="submit" loading={change.isPending} disabled={mismatch} data-testid="pw-submit">Change password</Button>
        </form>
      </CardBody>
    </Card>
  );
}
