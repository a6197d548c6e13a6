'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { cn } from '@/app/_lib/cn';
import { Badge } from '@/app/_components/Badge';
import { Button } from '@/app/_components/Button';
import { ErrorAlert, Alert } from '@/app/_components/Alert';
import { useLogout } from '@/app/_components/useLogout';

export type NavItem = { href: string; label: string; exact?: boolean };

/**
 * Frame of every signed-in screen: loads auth.me, sends anonymous visitors to /login, and
 * refuses the admin area to other roles. The server guards these pages too (main.ts); this
 * only keeps the UI honest.
 */
export function AppShell({ area, nav, children }: { area: 'admin' | 'portal'; nav: NavItem[]; children: ReactNode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const me = useQuery(trpc.auth.me.queryOptions());
  const logout = useLogout();

  useEffect(() => {
    if (me.isSuccess && !me.data) router.replace(`/login?next=${encodeURIComponent(pathname)}`);
  }, [me.isSuccess, me.data, router, pathname]);

  const user = me.data;
  const allowed = !!user && (area === 'portal' || user.role === 'admin');

  return (
    <div className="flex min-h-screen">
      <aside className="hidden w-60 shrink-0 flex-col bg-slate-900 text-slate-300 md:flex">
        <div className="flex h-16 items-center gap-2.5 px-5">
          <img src="/favicon.svg" alt="" className="size-7" />
          <span className="text-base font-semibold tracking-tight text-white">vzpanel</span>
          <span className="ml-auto rounded bg-slate-800 px-1.5 py-0.5 text-[10px] font-medium uppercase tracking-wider text-slate-400">{area}</span>
        </div>
        <nav className="flex flex-1 flex-col gap-0.5 px-3 py-2" aria-label="Main">
          {nav.map((item) => {
            const active = item.exact ? pathname === item.href : pathname === item.href || pathname.startsWith(item.href + '/');
            return (
              <Link
                key={item.href}
                href={item.href}
                aria-current={active ? 'page' : undefined}
                className={cn('rounded-md px-3 py-2 text-sm font-medium transition-colors', active ? 'bg-slate-800 text-white' : 'hover:bg-slate-800/60 hover:text-white')}
              >
                {item.label}
              </Link>
            );
          })}
        </nav>
        <div className="px-5 py-4 text-xs text-slate-500">OpenVZ-style hosting on LXC</div>
      </aside>

      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex h-16 items-center justify-end gap-4 border-b border-slate-200 bg-white px-6">
          {user && (
            <div className="flex items-center gap-3" data-testid="current-user">
              <div className="text-right leading-tight">
                <div className="font-medium text-slate-900">{user.name || user.email}</div>
                <div className="text-xs text-slate-500">{user.email}</div>
              </div>
              <Badge tone={user.role === 'admin' ? 'indigo' : 'slate'}>{user.adminRole ?? user.role}</Badge>
              <Button variant="secondary" size="sm" onClick={() => logout.mutate()} loading={logout.isPending} data-testid="logout">
                Log out
              </Button>
            </div>
          )}
        </header>
        <main className="mx-auto w-full max-w-7xl flex-1 px-6 py-8">
          {me.isError && <ErrorAlert error={me.error} />}
          {me.isPending && <p className="text-slate-500">Loading…</p>}
          {user && !allowed && (
            <Alert tone="error" title="Not allowed">
              This area is for administrators. <Link className="underline" href="/portal">Go to your portal</Link>.
            </Alert>
          )}
          {allowed && children}
        </main>
      </div>
    </div>
  );
}
