'use client';
import type { ReactNode } from 'react';
import { AppShell, type NavItem } from '@/app/_components/AppShell';

const nav: NavItem[] = [
  { href: '/portal', label: 'My servers', exact: true },
  { href: '/portal/account', label: 'Account' },
];

export default function PortalLayout({ children }: { children: ReactNode }) {
  return <AppShell area="portal" nav={nav}>{children}</AppShell>;
}
