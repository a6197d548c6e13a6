'use client';
import type { ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';

/**
 * The signed-in user's staff role, from auth.me (null for customers and while loading). The
 * server refuses what a role cannot do anyway; this only keeps controls out of sight.
 */
export function useStaffRole() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  return me.data?.adminRole ?? null;
}

/** True when the user may change things in the admin area (owner or admin; support only reads). */
export function useCanChange(): boolean {
  const r = useStaffRole();
  return r === 'owner' || r === 'admin';
}

/** Renders `children` only for roles that may change things; support sees `otherwise` (default nothing). */
export function CanChange({ children, otherwise = null }: { children: ReactNode; otherwise?: ReactNode }) {
  return <>{useCanChange() ? children : otherwise}</>;
}

/** Renders `children` only for owners (staff accounts and roles). */
export function OwnerOnly({ children }: { children: ReactNode }) {
  return <>{useStaffRole() === 'owner' ? children : null}</>;
}
