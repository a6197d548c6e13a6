import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { planSourceVe } from '@/server/operations/imports';
import { PlanInput } from './schemas';

const Row = z.object({ param: z.string(), value: z.string() });

/** Dry run of one import: every mapping, every parameter not carried and why, what blocks it. Copies nothing (admin). */
export const plan = adminProcedure
  .input(PlanInput)
  .output(z.object({
    ctid: z.number(), hostname: z.string().nullable(), source: z.string(), node: z.string(), layout: z.string(), usedBytes: z.number(), usedInodes: z.number(),
    limits: z.record(z.string(), z.number()).describe('the VE\'s limits in panel units (the plan with the conf\'s values as overrides)'),
    overrides: z.record(z.string(), z.number()),
    carried: z.array(Row.extend({ to: z.string(), note: z.string().optional() })),
    notCarried: z.array(Row.extend({ reason: z.string() })),
    notes: z.array(z.string()),
    addresses: z.array(z.object({ address: z.string(), pool: z.string().nullable(), ok: z.boolean() })),
    problems: z.array(z.string()),
  }))
  .query(async ({ ctx, input }) => {
    const p = await planSourceVe(ctx.prisma, input);
    return {
      ctid: p.agent.ctid, hostname: p.agent.hostname ?? null, source: p.source, node: p.node, layout: p.agent.layout, usedBytes: p.agent.usedBytes, usedInodes: p.agent.usedInodes,
      limits: p.limits, overrides: p.overrides as Record<string, number>, carried: p.agent.carried, notCarried: p.agent.notCarried, notes: p.notes, addresses: p.addresses, problems: p.problems,
    };
  });
