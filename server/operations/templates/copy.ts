// One template version copied into a node's cache from the panel's store. A version the panel has
// no copy of (built on a node: storagePath null) is first pulled once from an online node holding
// exactly that build into the store, so every later push is the same bytes from one place.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PrismaClient, TemplateVersion } from '@/server/db/client';
import type { AgentClient } from '@/server/nodes/client';
import type { TaskContext } from '@/server/operations/tasks/registry';
import { agentForNode } from '@/server/operations/ve/agent';
import { HOST_NODES } from '@/server/services/templates/distribution/queue';
import { templateStoreDir } from '@/server/services/templates/upload/store';
import { pullTemplate, pushTemplate } from './transfer';

type Ctx = Pick<TaskContext, 'log' | 'progress'>;

async function pullIntoStore(prisma: PrismaClient, v: TemplateVersion, templateName: string, targetNodeId: string, ctx: Ctx): Promise<string | null> {
  // The local node first: reading from it costs no network.
  const sources = await prisma.node.findMany({ where: { ...HOST_NODES, id: { not: targetNodeId } }, orderBy: [{ transport: 'asc' }, { name: 'asc' }], select: { id: true, name: true } });
  for (const n of sources) {
    const agent = await agentForNode(prisma, n.id).catch(() => null);
    const list = await agent?.call('template.list', {}).catch(() => null);
    if (!agent || !list?.templates.some((t) => t.name === v.cacheName && t.sha256 === v.sha256)) continue;
    const dest = path.join(templateStoreDir(), templateName, `${v.sha256}.tar.gz`);
    await ctx.log(`the panel has no copy of ${v.cacheName}; copying it from node ${n.name} into the panel's store first`);
    await pullTemplate(agent, n.name, v.cacheName, v.sha256, dest);
    await prisma.templateVersion.update({ where: { id: v.id }, data: { storagePath: dest } });
    await prisma.template.updateMany({ where: { id: v.templateId, sha256: v.sha256 }, data: { storagePath: dest } });
    return dest;
  }
  return null;
}

/**
 * Puts version `v` into the cache of node `nodeId` (reached by `agent`) from the panel's copy, pulling
 * it from another node first when the panel has none. False when no copy exists anywhere (the
 * caller may build it from the recipe instead).
 */
export async function copyVersionToNode(prisma: PrismaClient, agent: AgentClient, nodeId: string, v: TemplateVersion, ctx: Ctx, span: [number, number] = [0, 95]): Promise<boolean> {
  const [template, node] = await Promise.all([
    prisma.template.findUniqueOrThrow({ where: { id: v.templateId }, select: { name: true, arch: true } }),
    prisma.node.findUniqueOrThrow({ where: { id: nodeId }, select: { name: true } }),
  ]);
  const file = v.storagePath && existsSync(v.storagePath) ? v.storagePath : await pullIntoStore(prisma, v, template.name, nodeId, ctx);
  if (!file) return false;
  const manifest = { name: v.cacheName, os: v.os, version: v.osVersion, arch: template.arch, sizeBytes: Number(v.sizeBytes), sha256: v.sha256 };
  await ctx.log(`copying template ${v.cacheName} (${manifest.sizeBytes} bytes, sha256 ${v.sha256.slice(0, 12)}…) to node ${node.name}`);
  const how = await pushTemplate(agent, node.name, file, manifest, (pct) => void ctx.progress(span[0] + ((span[1] - span[0]) * pct) / 100));
  await ctx.log(how === 'held' ? `node ${node.name} already held ${v.cacheName} with that checksum` : `node ${node.name} checked and cached ${v.cacheName}`);
  return true;
}
