import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listSourceVes } from '@/server/operations/imports';
import { NodeId, SourceId } from './schemas';

/** The VEs of an OpenVZ host, read by the node that would run them (admin). */
export const listVes = adminProcedure
  .input(z.object({ sourceId: SourceId, nodeId: NodeId }))
  .output(z.array(z.object({ ctid: z.number(), hostname: z.string().nullable(), ips: z.array(z.string()), layout: z.string(), ostemplate: z.string(), ctidTaken: z.boolean(), problems: z.array(z.string()) })))
  .query(({ ctx, input }) => listSourceVes(ctx.prisma, input.sourceId, input.nodeId));
