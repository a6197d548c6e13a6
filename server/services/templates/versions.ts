// Template versions: every upload (or rebuild) of a name is a new numbered version; new VEs get the
// newest, a VE keeps the one it was installed from, and a version is prunable once no VE uses it.
import { rm } from 'node:fs/promises';
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';

type Tx = Prisma.TransactionClient | PrismaClient;

/** A version's key in a node's template cache: version 1 keeps the bare name (caches and VEs from before versions). */
export const cacheNameFor = (name: string, number: number): string => (number <= 1 ? name : `${name}.v${number}`);
/** Names shaped like a version's cache key are kept for versions (an upload may not take one). */
export const VERSION_SUFFIX = /\.v\d+$/;

export interface VersionData {
  os: string;
  osVersion: string;
  sizeBytes: bigint;
  sha256: string;
  storagePath: string | null;
  source: 'upload' | 'build' | 'node';
}

/** The version new VEs get (null only for a template row made before versions, never migrated). */
export function newestVersion(tx: Tx, templateId: string) {
  return tx.templateVersion.findFirst({ where: { templateId }, orderBy: { number: 'desc' } });
}

/**
 * Adds the next version of template `name` (creating the template with version 1 if new) and makes
 * the template row mirror it; node caches of the template go back to pending (the new version must
 * reach them). Runs in one transaction; a concurrent add of the same name gets CONFLICT.
 */
export async function addTemplateVersion(prisma: PrismaClient, name: string, arch: string, description: string | null, v: VersionData) {
  const mirror = { os: v.os, version: v.osVersion, sizeBytes: v.sizeBytes, sha256: v.sha256, storagePath: v.storagePath };
  try {
    return await prisma.$transaction(async (tx) => {
      const existing = await tx.template.findUnique({ where: { name } });
      const template = existing
        ? await tx.template.update({ where: { id: existing.id }, data: { ...mirror, ...(description ? { description } : {}) } })
        : await tx.template.create({ data: { name, arch, description, ...mirror } });
      const number = ((await newestVersion(tx, template.id))?.number ?? 0) + 1;
      const version = await tx.templateVersion.create({
        data: { templateId: template.id, number, cacheName: cacheNameFor(name, number), os: v.os, osVersion: v.osVersion, sizeBytes: v.sizeBytes, sha256: v.sha256, storagePath: v.storagePath, source: v.source },
      });
      if (existing) await tx.templateCache.updateMany({ where: { templateId: template.id }, data: { state: 'pending', error: null } });
      return { template, version };
    });
  } catch (e) {
    if ((e as { code?: string }).code === 'P2002') throw new AppError('CONFLICT', `another version of ${name} was added at the same moment; try again`);
    throw e;
  }
}

/** Versions of a template, newest first, with how many VEs run each (null on a VE counts as version 1). */
export async function listTemplateVersions(prisma: PrismaClient, templateId: string) {
  const versions = await prisma.templateVersion.findMany({ where: { templateId }, orderBy: { number: 'desc' } });
  const uses = await prisma.ve.groupBy({ by: ['templateVersion'], where: { templateId }, _count: { _all: true } });
  const used = new Map(uses.map((u) => [u.templateVersion ?? 1, u._count._all]));
  return versions.map((v, i) => ({ ...v, ves: used.get(v.number) ?? 0, newest: i === 0 }));
}

/**
 * Deletes every version of the template that is not the newest and that no VE uses, with the panel's
 * copy of its tarball; returns the numbers removed. Versions in use are kept, whatever their age.
 */
export async function pruneTemplateVersions(prisma: PrismaClient, templateId: string): Promise<number[]> {
  if (!(await prisma.template.findUnique({ where: { id: templateId } }))) throw new AppError('NOT_FOUND', 'Template not found');
  const removable = (await listTemplateVersions(prisma, templateId)).filter((v) => !v.newest && v.ves === 0);
  const gone: number[] = [];
  for (const v of removable) {
    // Re-checked in the delete itself: a VE installed from it since the listing keeps it.
    const r = await prisma.$executeRaw`DELETE FROM "TemplateVersion" t WHERE t.id = ${v.id}
      AND NOT EXISTS (SELECT 1 FROM "Ve" WHERE "templateId" = t."templateId" AND COALESCE("templateVersion", 1) = t.number)`;
    if (!r) continue;
    // Identical re-uploads share one file; it goes with the last version naming it.
    if (v.storagePath && !(await prisma.templateVersion.count({ where: { storagePath: v.storagePath } }))) await rm(v.storagePath, { force: true });
    gone.push(v.number);
  }
  return gone;
}
