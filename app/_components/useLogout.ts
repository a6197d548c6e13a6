'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';

/** Ends the session on the server, forgets every cached query, and goes to /login with a full load. */
export function useLogout() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.auth.logout.mutationOptions({
      // Even if the call fails (already logged out), leave the signed-in screens.
      onSettled: () => {
        queryClient.clear();
        window.location.assign('/login');
      },
    }),
  );
}
