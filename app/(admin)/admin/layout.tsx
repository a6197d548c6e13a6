'use client';
import type { ReactNode } from 'react';
import { AppShell, type NavItem } from '@/app/_components/AppShell';

const nav: NavItem[] = [
  { href: '/admin', label: 'Dashboard', exact: true },
  { href: '/admin/nodes', label: 'Nodes' },
  { href: '/admin/node-groups', label: 'Node groups' },
  { href: '/admin/ves', label: 'VEs' },
  { href: '/admin/customers', label: 'Customers' },
  { href: '/admin/plans', label: 'Plans' },
  { href: '/admin/templates', label: 'Templates' },
  { href: '/admin/imports', label: 'Import' },
  { href: '/admin/ip-pools', label: 'IP pools' },
  { href: '/admin/bulk', label: 'Bulk' },
  { href: '/admin/backups', label: 'Backups' },
  { href: '/admin/tasks', label: 'Tasks' },
  { href: '/admin/api-keys', label: 'API keys' },
  { href: '/admin/webhooks', label: 'Webhooks' },
  { href: '/admin/audit', label: 'Audit log' },
  { href: '/admin/staff', label: 'Admins' },
  { href: '/admin/account', label: 'Account' },
  { href: '/api-docs', label: 'API docs' },
];

export default function AdminLayout({ children }: { children: ReactNode }) {
  return <AppShell area="admin" nav={nav}>{children}</AppShell>;
}
