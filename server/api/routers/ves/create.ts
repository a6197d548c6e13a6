import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { CreateVeInput, requestCreateVe } from '@/server/services/ves';

export const CreateVeOutput = z.object({
  ve: z.object({ id: z.string(), ctid: z.number().int(), hostname: z.string(), state: z.string(), nodeId: z.string(), nodeName: z.string() }),
  taskId: z.string().describe('The ve.create task; follow it for progress'),
  addresses: z.array(z.object({ address: z.string(), family: z.number().int(), prefix: z.number().int(), gateway: z.string().nullable() })),
});

/** Requests a VE (admin): validates, places, allocates addresses and queues ve.create in one transaction. */
export const create = adminProcedure
  .input(CreateVeInput)
  .output(CreateVeOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await requestCreateVe(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input);
    return { ve: r.ve, taskId: r.taskId, addresses: r.addresses.map((a) => ({ address: a.address, family: a.family, prefix: a.prefix, gateway: a.gateway })) };
  });
