import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { getPool, listPoolAddresses } from '@/server/services/ippools';
import { PoolIdInput, PoolOutput, toPoolOutput } from './schemas';

const Address = z.object({ address: z.string(), reserved: z.boolean(), ve: z.object({ id: z.string(), ctid: z.number().int(), hostname: z.string() }).nullable() });

/** One pool with a page of its addresses and the VE holding each (admin). */
export const get = adminProcedure
  .input(PoolIdInput.extend({ offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1024).default(256) }))
  .output(PoolOutput.extend({ addresses: z.array(Address) }))
  .query(async ({ ctx, input }) => {
    const pool = toPoolOutput(await getPool(ctx.prisma, input.id));
    const rows = await listPoolAddresses(ctx.prisma, input.id, { skip: input.offset, take: input.limit });
    return {
      ...pool,
      addresses: rows.map((r) => ({ address: r.address, reserved: r.reserved, ve: r.veId ? { id: r.veId, ctid: r.ctid!, hostname: r.hostname! } : null })),
    };
  });
