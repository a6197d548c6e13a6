import { z } from 'zod';
import { consoleOpens } from '@/server/services/console/tickets';
import { customerProcedure } from '@/server/api/trpc';
import { getMyVe } from '@/server/services/portal';
import { PortalVeOutput, toPortalVe, VeIdInput } from './schemas';

/** One of the user's own VEs with its addresses and reinstall choices; another customer's id is NOT_FOUND like a missing one. */
export const ve = customerProcedure
  .input(VeIdInput)
  .output(
    PortalVeOutput.extend({
      addresses: z.array(z.object({ address: z.string(), prefix: z.number().int(), gateway: z.string().nullable(), nameservers: z.array(z.string()) })),
      lastError: z.string().nullable(),
      suspendReason: z.string().nullable(),
      consoleOpen: z.boolean().describe('The console can open: running, or suspended in network-only mode (the VE runs)'),
      maintenance: z.boolean().describe('The node is in maintenance: actions are paused'),
      nodeOnline: z.boolean(),
      templates: z.array(z.object({ id: z.string(), name: z.string(), os: z.string(), version: z.string() })).describe('Templates the plan allows for a reinstall'),
    }),
  )
  .query(async ({ ctx, input }) => {
    const r = await getMyVe(ctx.prisma, ctx.user, input.id);
    const v = r.ve;
    return {
      ...toPortalVe({ ...v, ipAddresses: v.ipAddresses.map((a) => a.address) }),
      addresses: v.ipAddresses.map((a) => ({ address: a.address, prefix: a.pool.prefix, gateway: a.pool.gateway, nameservers: a.pool.nameservers })),
      lastError: v.lastError,
      suspendReason: v.suspendReason,
      consoleOpen: consoleOpens(v),
      maintenance: r.maintenance,
      nodeOnline: r.nodeOnline,
      templates: r.templates,
    };
  });
