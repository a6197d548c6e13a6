import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { setAnchorDay as setAnchor } from '@/server/services/usage/quota-state';
import { auditVe, VeIdInput } from './schemas';

/**
 * PUT /api/v1/ves/{id}/usage/anchor (scope ves:write): the day of the month the VE's billing period
 * starts, as the billing system invoices it. null clears it (back to the plan's day, else the day the
 * VE was created). A new anchor starts a new period for the quota ladder: what it did lifts.
 */
export const setAnchorDay = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'PUT', path: '/ves/{id}/usage/anchor', tags: ['usage'], protect: true, summary: 'Set a VE\'s billing anchor day' } })
  .input(VeIdInput.extend({ anchorDay: z.number().int().min(1).max(28).nullable().describe('1-28 (a strict number); null clears it') }))
  .output(z.object({ anchorDay: z.number().int().describe('the anchor day in force now'), source: z.enum(['ve', 'plan', 'created']).describe('where it comes from') }))
  .mutation(({ ctx, input }) => {
    auditVe(ctx, input.id);
    return setAnchor(ctx.prisma, input.id, input.anchorDay);
  });
