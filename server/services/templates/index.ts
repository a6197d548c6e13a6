// OS templates known to the panel, and which nodes have them cached (the agent reports manifests).
import type { PrismaClient } from '@/server/db/client';

export interface TemplateManifest {
  name: string;
  os: string;
  version: string;
  arch: string;
  sizeBytes: number;
  sha256: string;
}

/** Records that `nodeId` holds `m` in its cache, creating or updating the template row. */
export async function recordTemplateOnNode(prisma: PrismaClient, nodeId: string, m: TemplateManifest) {
  const data = { os: m.os, version: m.version, arch: m.arch, sizeBytes: BigInt(m.sizeBytes), sha256: m.sha256 };
  const template = await prisma.template.upsert({ where: { name: m.name }, create: { name: m.name, ...data }, update: data });
  await prisma.templateCache.upsert({
    where: { templateId_nodeId: { templateId: template.id, nodeId } },
    create: { templateId: template.id, nodeId, state: 'ready', syncedAt: new Date() },
    update: { state: 'ready', error: null, syncedAt: new Date() },
  });
  return template;
}

export function listTemplates(prisma: PrismaClient) {
  return prisma.template.findMany({ orderBy: { name: 'asc' }, include: { caches: { select: { nodeId: true, state: true } } } });
}
