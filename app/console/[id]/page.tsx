'use client';
// A billing system's console link (/console/<veId>?ticket=…): no sign-in, the single-use ticket is the credential.
import { use, useEffect, useState } from 'react';
import { Console } from '@/app/_components/Console';

export default function TicketConsolePage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ ticket?: string }> }) {
  const { id } = use(params);
  const [ticket] = useState(use(searchParams).ticket); // captured once: the URL loses it below
  // keep the (already spent) ticket out of the address bar, history and any later Referer
  useEffect(() => { window.history.replaceState(null, '', window.location.pathname); }, []);
  return (
    <main className="mx-auto max-w-6xl p-6">
      <h1 className="mb-4 text-xl font-semibold text-slate-900">Server console</h1>
      {ticket ? <Console veId={id} ticket={ticket} /> : <p className="text-slate-600">This console link is incomplete. Ask for a new one.</p>}
    </main>
  );
}
