import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { AllowedNetworksInput, getAllowedNetworks, setAllowedNetworks } from '@/server/services/webhooks/target';

const AllowedNetworksOutput = z.object({ networks: z.array(z.string()) });

/** Networks webhooks may reach although they are loopback, link-local, metadata or node/VE networks. */
export const allowedNetworks = adminProcedure
  .output(AllowedNetworksOutput)
  .query(async ({ ctx }) => ({ networks: await getAllowedNetworks(ctx.prisma) }));

/** Replaces that allow-list (CIDRs; an empty list refuses all such addresses again). */
export const setAllowedNetworksProc = adminProcedure
  .input(AllowedNetworksInput)
  .output(AllowedNetworksOutput)
  .mutation(async ({ ctx, input }) => ({ networks: await setAllowedNetworks(ctx.prisma, input) }));
