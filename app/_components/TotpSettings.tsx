'use client';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { Alert, ErrorAlert } from '@/app/_components/Alert';

const digits = (s: string) => s.replace(/\s+/g, '');

/** Turn the TOTP second factor on (setup → scan/copy URI → confirm a code) or off. */
export function TotpSettings() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const [code, setCode] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [backupCodes, setBackupCodes] = useState<string[] | null>(null);
  const refreshMe = () => qc.invalidateQueries({ queryKey: trpc.auth.me.queryKey() });
  const setup = useMutation(trpc.auth.totp.setup.mutationOptions({ onSuccess: () => { setDone(null); setCode(''); } }));
  const enable = useMutation(trpc.auth.totp.enable.mutationOptions({
    onSuccess: async (r) => { setDone('Two-factor authentication is on.'); setBackupCodes(r.backupCodes); setCode(''); setup.reset(); await refreshMe(); },
  }));
  const disable = useMutation(trpc.auth.totp.disable.mutationOptions({
    onSuccess: async () => { setDone('Two-factor authentication is off.'); setBackupCodes(null); setCode(''); await refreshMe(); },
  }));
  const on = !!me.data?.totpEnabled;

  const onEnable = (e: FormEvent) => { e.preventDefault(); enable.mutate({ code: digits(code) }); };
  const onDisable = (e: FormEvent) => { e.preventDefault(); disable.mutate({ code: digits(code) }); };

  return (
    <Card>
      <CardHeader
        title="Two-factor authentication"
        subtitle="A 6-digit code from an authenticator app, asked after your password."
        actions={<Badge tone={on ? 'green' : 'slate'} dot data-testid="totp-status">{on ? 'on' : 'off'}</Badge>}
      />
      <CardBody className="space-y-4">
        {done && <Alert tone="success">{done}</Alert>}
        {backupCodes && backupCodes.length > 0 && (
          <Alert tone="warning" title="Save these backup codes now. They are shown only once." data-testid="totp-backup-codes">
            <p>Each one signs you in once if you lose your authenticator.</p>
            <ul className="mt-2 grid grid-cols-2 gap-1 font-mono text-xs sm:grid-cols-5">
              {backupCodes.map((c) => <li key={c} className="select-all rounded bg-white/70 px-2 py-1">{c}</li>)}
            </ul>
          </Alert>
        )}
        <ErrorAlert error={setup.error ?? enable.error ?? disable.error} />
        {!on && !setup.data && (
          <Button onClick={() => setup.mutate()} loading={setup.isPending} data-testid="totp-setup">Set up two-factor authentication</Button>
        )}
        {!on && setup.data && (
          <form onSubmit={onEnable} className="space-y-4">
            <div>
              <p className="mb-1.5 text-sm text-slate-700">Add this account to your authenticator app with the URI below (or type the secret), then enter the code it shows.</p>
              <code className="block select-all break-all rounded-md bg-slate-100 px-3 py-2 font-mono text-xs text-slate-800" data-testid="totp-uri">{setup.data.uri}</code>
              {'secret' in setup.data && setup.data.secret && (
                <p className="mt-2 text-xs text-slate-500">Secret: <code className="select-all font-mono text-slate-800" data-testid="totp-secret">{String(setup.data.secret)}</code></p>
              )}
            </div>
            <div className="flex max-w-sm items-end gap-3">
              <div className="flex-1">
                <Field label="Code" name="code" inputMode="numeric" autoComplete="one-time-code" required pattern="[0-9 ]{6,7}" value={code} onChange={(e) => setCode(e.target.value)} />
              </div>
              <Button type="submit" loading={enable.isPending} data-testid="totp-enable">Enable</Button>
            </div>
          </form>
        )}
        {on && (
          <form onSubmit={onDisable} className="flex max-w-sm items-end gap-3">
            <div className="flex-1">
              <Field label="Current code or backup code" name="code" autoComplete="one-time-code" required maxLength={24} value={code} onChange={(e) => setCode(e.target.value)} />
            </div>
            <Button type="submit" variant="danger" loading={disable.isPending} data-testid="totp-disable">Turn off</Button>
          </form>
        )}
      </CardBody>
    </Card>
  );
}
