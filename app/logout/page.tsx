'use client';
import { useEffect, useRef } from 'react';
import { useLogout } from '@/app/_components/useLogout';

/** Visiting /logout ends the session and lands on /login. */
export default function LogoutPage() {
  const logout = useLogout();
  const started = useRef(false);
  useEffect(() => {
    // Strict mode mounts twice in dev; log out once.
    if (started.current) return;
    started.current = true;
    logout.mutate();
  }, [logout]);
  return <p className="p-10 text-center text-slate-500">Signing out…</p>;
}
