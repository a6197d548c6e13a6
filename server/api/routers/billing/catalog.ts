import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { getCatalog } from '@/server/services/catalog';
import { sharedRead } from '@/server/services/catalog/shared-read';

const PlanOut = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  ram: z.number().int().describe('MiB'),
  swap: z.number().int().describe('MiB'),
  diskspace: z.number().int().describe('MiB'),
  diskinodes: z.number().int(),
  cpuunits: z.number().int(),
  cpulimit: z.number().int().describe('percent of one CPU; 0 = unlimited'),
  cpus: z.number().int(),
  numproc: z.number().int(),
  bandwidth: z.number().int().describe('Mbit/s; 0 = unlimited'),
  ipv4Count: z.number().int(),
  ipv6Count: z.number().int(),
  templates: z.array(z.string()).describe('template names allowed; empty = all enabled'),
});
const TemplateOut = z.object({ id: z.string(), name: z.string(), os: z.string(), version: z.string(), arch: z.string(), description: z.string().nullable() });
const NodeGroupOut = z.object({ id: z.string(), name: z.string(), description: z.string().nullable() });

export const CatalogOutput = z.object({ plans: z.array(PlanOut), templates: z.array(TemplateOut), nodeGroups: z.array(NodeGroupOut) });

/** GET /api/v1/catalog: what can be sold (scope catalog:read). */
export const catalog = apiKeyProcedure('catalog:read')
  .meta({ openapi: { method: 'GET', path: '/catalog', tags: ['catalog'], protect: true, summary: 'Plans, templates and node groups' } })
  .input(z.object({}))
  .output(CatalogOutput)
  // Every billing client reads the same catalog: concurrent reads share one query (never an older one).
  .query(({ ctx }) => sharedRead(ctx.prisma, 'billing.catalog', () => getCatalog(ctx.prisma)));
