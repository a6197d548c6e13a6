// Makes sure a node has a template cached before a create uses it: a version the panel can copy
// (uploaded, or held by another node) is pushed; those the node has a recipe for are built there.
import type { AgentClient } from '@/server/nodes/client';
import { AppError } from '@/server/errors';
import type { TaskContext } from '@/server/operations/tasks/registry';
import { copyVersionToNode } from '@/server/operations/templates/copy';
import { setCacheState } from '@/server/services/templates/distribution/queue';
import { newestVersion } from '@/server/services/templates/versions';
import { taskCallOptions } from './agent';

/** What an agent without template.recipes (feature template-recipes) can build. */
const BUILT_IN = new Set(['busybox', 'debian-12']);

/**
 * Ensures template cache key `name` on the node of `agent`. With `nodeId`, the node's cache row of
 * the template is marked ready when it is the newest version. Answers how it got there.
 */
export async function ensureTemplateOnNode(agent: AgentClient, name: string, ctx: TaskContext, nodeId?: string, span: [number, number] = [0, 10]): Promise<'held' | 'pushed' | 'built'> {
  const { templates } = await agent.call('template.list', {});
  const version = await ctx.prisma.templateVersion.findFirst({ where: { cacheName: name } });
  const held = templates.find((t) => t.name === name);
  const ready = async <T>(how: T) => {
    if (nodeId && version && (await newestVersion(ctx.prisma, version.templateId))?.id === version.id) await setCacheState(ctx.prisma, version.templateId, nodeId, 'ready');
    return how;
  };
  // An upload must be the same bytes everywhere; a node's own build of a recipe counts as that template.
  if (held && (!version || version.source !== 'upload' || held.sha256 === version.sha256)) return ready('held' as const);
  if (version && nodeId && (await copyVersionToNode(ctx.prisma, agent, nodeId, version, ctx, span))) return ready('pushed' as const);
  const recipes = await agent.call('template.recipes', {}).then((r) => r.recipes, () => null);
  const recipe = recipes?.find((r) => r.name === name);
  if (recipe && !recipe.available) throw new AppError('UNPROCESSABLE', `template ${name} is not on the node and cannot be built there: ${recipe.reason ?? 'its mirror does not serve it'}`);
  if (!recipe && (recipes || !BUILT_IN.has(name))) {
    throw new AppError('NOT_FOUND', version ? `template ${name} is not on the node, the panel has no copy, no online node holds it, and it has no recipe there` : `template ${name} is not on the node and cannot be built there`);
  }
  await ctx.log(`template ${name} is not cached on the node; building it`);
  await agent.call('template.build', { name }, taskCallOptions(ctx, 'template', span));
  return ready('built' as const);
}
