'use client';
import { Suspense, useState, type FormEvent } from 'react';
import { useSearchParams } from 'next/navigation';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { errorCode } from '@/app/_lib/errors';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { safeNextPath } from '@/app/_lib/nextPath';


function LoginForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const nextParam = useSearchParams().get('next');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [ticket, setTicket] = useState<string | null>(null);
  const [code, setCode] = useState('');

  // After a session exists: go where the user was headed, else to the home of their role.
  async function enter() {
    const me = await queryClient.fetchQuery({ ...trpc.auth.me.queryOptions(), staleTime: 0 });
    const home = me?.role === 'admin' ? '/admin' : '/portal';
    // Only a same-origin path: anything else (`/%09/evil.com` parses as //evil.com) would be an open redirect.
    window.location.assign(safeNextPath(nextParam, window.location.origin) ?? home);
  }

  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: async (res) => {
        if ('twoFactorRequired' in res && res.twoFactorRequired) setTicket(res.ticket);
        else await enter();
      },
    }),
  );
  const verify = useMutation(trpc.auth.verifyTotp.mutationOptions({ onSuccess: enter }));

  const onPassword = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ email: email.trim(), password });
  };
  const onCode = (e: FormEvent) => {
    e.preventDefault();
    if (ticket) verify.mutate({ ticket, code: code.trim() });
  };

  if (ticket) {
    const expired = verify.error && errorCode(verify.error) === 'UNAUTHENTICATED' && /ticket|expired/i.test(verify.error.message);
    return (
      <form onSubmit={onCode} className="space-y-5" data-testid="totp-form">
        <div>
          <h2 className="text-lg font-semibold text-slate-900">Two-factor authentication</h2>
          <p className="mt-1 text-sm text-slate-500">Enter the 6-digit code from your authenticator app, or one of your backup codes.</p>
        </div>
        {verify.error && (expired
          ? <Alert tone="error" title="Sign-in expired">Please start again. <button type="button" className="underline" onClick={() => { setTicket(null); setCode(''); verify.reset(); }}>Back</button></Alert>
          : <ErrorAlert error={verify.error} title="Sign-in failed" message={errorCode(verify.error) === 'UNAUTHENTICATED' ? 'Invalid code' : undefined} />)}
        <Field label="Authentication code" name="code" autoComplete="one-time-code" autoFocus required
          maxLength={24} value={code} onChange={(e) => setCode(e.target.value)} />
        <Button type="submit" className="w-full" loading={verify.isPending}>Verify</Button>
        <button type="button" className="w-full text-center text-sm text-slate-500 hover:text-slate-700" onClick={() => { setTicket(null); setCode(''); setPassword(''); verify.reset(); login.reset(); }}>
          Use a different account
        </button>
      </form>
    );
  }

  return (
    <form onSubmit={onPassword} className="space-y-5" data-testid="login-form">
      {login.error && (
        <ErrorAlert error={login.error} title="Sign-in failed" message={errorCode(login.error) === 'UNAUTHENTICATED' ? 'Invalid email or password' : undefined} />
      )}
      <Field label="Email" name="email" type="email" autoComplete="username" autoFocus required value={email} onChange={(e) => setEmail(e.target.value)} />
      <Field label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      <Button type="submit" className="w-full" loading={login.isPending || verify.isPending}>Sign in</Button>
    </form>
  );
}

export default function LoginPage() {
  return (
    <div className="flex min-h-screen flex-col items-center justify-center bg-slate-100 px-4">
      <div className="mb-8 flex items-center gap-3">
        <img src="/favicon.svg" alt="" className="size-9" />
        <span className="text-2xl font-semibold tracking-tight text-slate-900">vzpanel</span>
      </div>
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
        <h1 className="mb-6 text-center text-base font-medium text-slate-700">Sign in to your account</h1>
        <Suspense fallback={null}>
          <LoginForm />
        </Suspense>
      </div>
      <p className="mt-6 text-xs text-slate-400">Container VPS control panel</p>
    </div>
  );
}
