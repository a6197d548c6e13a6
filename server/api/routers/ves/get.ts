import { z } from 'zod';
import { consoleOpens } from '@/server/services/console/tickets';
import { adminProcedure } from '@/server/api/trpc';
import { getVe } from '@/server/services/ves';
import { numbers, toVeRow, VeRowOutput } from './schemas';

const Address = z.object({ address: z.string(), family: z.number().int(), prefix: z.number().int(), gateway: z.string().nullable(), nameservers: z.array(z.string()), pool: z.string(), poolId: z.string() });

/** One VE with overrides and addresses (admin); NOT_FOUND when unknown. */
export const get = adminProcedure
  .input(z.object({ id: z.string().min(1).max(64) }))
  .output(
    VeRowOutput.extend({
      overrides: z.record(z.string(), z.number()).describe('Per-VE overrides of the plan, kept across plan changes'),
      addresses: z.array(Address),
      suspendReason: z.string().nullable(),
      consoleOpen: z.boolean().describe('The console can open: running, or suspended in network-only mode (the VE runs)'),
      lastError: z.string().nullable(),
      tags: z.array(z.string()),
      onboot: z.boolean().describe('Starts with its node (autostart)'),
    }),
  )
  .query(async ({ ctx, input }) => {
    const v = await getVe(ctx.prisma, input.id);
    return {
      ...toVeRow({ ...v, ipAddresses: v.ipAddresses.map((a) => a.address) }),
      overrides: numbers(v.overrides),
      addresses: v.ipAddresses.map((a) => ({ address: a.address, family: a.pool.family, prefix: a.pool.prefix, gateway: a.pool.gateway, nameservers: a.pool.nameservers, pool: a.pool.name, poolId: a.pool.id })),
      suspendReason: v.suspendReason,
      consoleOpen: consoleOpens(v),
      lastError: v.lastError,
      tags: v.tags,
      onboot: v.onboot,
    };
  });
