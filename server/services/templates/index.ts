// OS templates known to the panel, and which nodes have them cached (the agent reports manifests).
import type { PrismaClient } from '@/server/db/client';
import { newestVersion, VERSION_SUFFIX } from './versions';

export interface TemplateManifest {
  name: string;
  os: string;
  version: string;
  arch: string;
  sizeBytes: number;
  sha256: string;
}

/**
 * Records that `nodeId` holds `m` in its cache. A name the panel does not know becomes a template
 * (version 1, built on the node); a version's own cache key (`<name>.v<N>`) is not a template.
 * A known template's fields stay as the panel recorded them (its newest version), only the cache changes.
 */
export async function recordTemplateOnNode(prisma: PrismaClient, nodeId: string, m: TemplateManifest) {
  const data = { os: m.os, version: m.version, arch: m.arch, sizeBytes: BigInt(m.sizeBytes), sha256: m.sha256 };
  const versionKey = VERSION_SUFFIX.test(m.name);
  let template = await prisma.template.findUnique({ where: { name: versionKey ? m.name.replace(VERSION_SUFFIX, '') : m.name } });
  if (!template && versionKey) return null;
  if (!template) {
    template = await prisma.template.upsert({ where: { name: m.name }, create: { name: m.name, ...data }, update: {} });
    await prisma.templateVersion.createMany({
      data: [{ templateId: template.id, number: 1, cacheName: m.name, os: m.os, osVersion: m.version, sizeBytes: data.sizeBytes, sha256: m.sha256, source: 'node' }],
      skipDuplicates: true,
    });
  }
  // Ready only when the node holds the version new VEs get (an older one is still useful to its VEs).
  const newest = await newestVersion(prisma, template.id);
  const state = !newest || newest.cacheName === m.name ? 'ready' : 'pending';
  await prisma.templateCache.upsert({
    where: { templateId_nodeId: { templateId: template.id, nodeId } },
    create: { templateId: template.id, nodeId, state, syncedAt: new Date() },
    update: state === 'ready' ? { state, error: null, syncedAt: new Date() } : {},
  });
  return template;
}

export function listTemplates(prisma: PrismaClient) {
  return prisma.template.findMany({ orderBy: { name: 'asc' }, include: { caches: { select: { nodeId: true, state: true, error: true, syncedAt: true } }, versions: { select: { number: true }, orderBy: { number: 'desc' }, take: 1 } } });
}
