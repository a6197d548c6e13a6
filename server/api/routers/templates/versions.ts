import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listTemplateVersions } from '@/server/services/templates/versions';

export const TemplateVersionOutput = z.object({
  number: z.number(),
  os: z.string(),
  osVersion: z.string(),
  sizeBytes: z.number(),
  sha256: z.string(),
  cacheName: z.string().describe('Key of this version in node caches'),
  source: z.string(),
  ves: z.number().describe('VEs installed from this version'),
  newest: z.boolean().describe('The version new VEs get'),
  createdAt: z.string(),
});

/** A template's versions, newest first, with how many VEs use each (admin). */
export const versions = adminProcedure
  .input(z.object({ id: z.string().min(1).max(64) }))
  .output(z.array(TemplateVersionOutput))
  .query(async ({ ctx, input }) =>
    (await listTemplateVersions(ctx.prisma, input.id)).map((v) => ({
      number: v.number, os: v.os, osVersion: v.osVersion, sizeBytes: Number(v.sizeBytes), sha256: v.sha256, cacheName: v.cacheName,
      source: v.source, ves: v.ves, newest: v.newest, createdAt: v.createdAt.toISOString(),
    })),
  );
