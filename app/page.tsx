'use client';
import { useEffect } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { ErrorAlert } from '@/app/_components/Alert';

/** "/" sends each visitor to their home: admins to /admin, customers to /portal, others to /login. */
export default function Home() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  useEffect(() => {
    if (!me.isSuccess) return;
    window.location.replace(!me.data ? '/login' : me.data.role === 'admin' ? '/admin' : '/portal');
  }, [me.isSuccess, me.data]);
  return <div className="p-10 text-center text-slate-500">{me.isError ? <ErrorAlert error={me.error} /> : 'Loading…'}</div>;
}
