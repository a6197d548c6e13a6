import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestRestoreToNewVe } from '@/server/services/backups';
import { Hostname } from '@/server/services/ves/validate';
import { auditTarget, Id } from './schemas';

/** Creates a new VE (own CTID, addresses and limits) and restores the backup into it (admin). */
export const restoreNew = adminProcedure
  .input(z.object({
    id: Id,
    hostname: Hostname,
    planId: Id.optional().describe('default: the plan the VE had when backed up'),
    templateId: Id.optional().describe('default: the template the VE had (only the create step uses it)'),
    ownerId: Id.nullish(),
    nodeId: Id.optional(),
  }))
  .output(z.object({ ve: z.object({ id: z.string(), ctid: z.number().int(), hostname: z.string(), nodeId: z.string() }), createTaskId: z.string(), taskId: z.string() }))
  .mutation(async ({ ctx, input }) => {
    auditTarget(ctx, 'backup', input.id);
    const { id, ...ve } = input;
    const r = await requestRestoreToNewVe(ctx.prisma, { role: 'admin', userId: ctx.user.id }, id, ve);
    return { ve: { id: r.ve.id, ctid: r.ve.ctid, hostname: r.ve.hostname, nodeId: r.ve.nodeId }, createTaskId: r.createTaskId, taskId: r.taskId };
  });
