import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listTemplates } from '@/server/services/templates';

export const TemplateOutput = z.object({
  id: z.string(),
  name: z.string(),
  os: z.string(),
  version: z.string(),
  arch: z.string(),
  sizeBytes: z.number(),
  enabled: z.boolean(),
  description: z.string().nullable(),
  nodes: z.array(z.object({
    nodeId: z.string(), state: z.string().describe('pending | syncing | ready | failed'), error: z.string().nullable().describe('Why the copy to this node failed (or the retry under way)'),
    syncedAt: z.string().nullable().describe('When the node last got its copy'),
  })).describe('Caches of this template on nodes'),
  createdAt: z.string(),
  versionNumber: z.number().describe('Newest version (what new VEs get)'),
});

/** OS templates known to the panel, with where they are cached (admin). */
export const list = adminProcedure
  .input(z.object({}).optional())
  .output(z.array(TemplateOutput))
  .query(async ({ ctx }) =>
    (await listTemplates(ctx.prisma)).map((t) => ({
      id: t.id, name: t.name, os: t.os, version: t.version, arch: t.arch, sizeBytes: Number(t.sizeBytes), enabled: t.enabled,
      description: t.description, nodes: t.caches.map((c) => ({ ...c, syncedAt: c.syncedAt?.toISOString() ?? null })), createdAt: t.createdAt.toISOString(), versionNumber: t.versions[0]?.number ?? 1,
    })),
  );
