// Makes sure a node has a template cached before a create uses it (those the node has a recipe for are built there).
import type { AgentClient } from '@/server/nodes/client';
import { AppError } from '@/server/errors';
import type { TaskContext } from '@/server/operations/tasks/registry';
import { taskCallOptions } from './agent';

/** What an agent without template.recipes (feature template-recipes) can build. */
const BUILT_IN = new Set(['busybox', 'debian-12']);

export async function ensureTemplateOnNode(agent: AgentClient, name: string, ctx: TaskContext): Promise<void> {
  const { templates } = await agent.call('template.list', {});
  if (templates.some((t) => t.name === name)) return;
  const recipes = await agent.call('template.recipes', {}).then((r) => r.recipes, () => null);
  const recipe = recipes?.find((r) => r.name === name);
  if (recipe && !recipe.available) throw new AppError('UNPROCESSABLE', `template ${name} is not on the node and cannot be built there: ${recipe.reason ?? 'its mirror does not serve it'}`);
  if (!recipe && (recipes || !BUILT_IN.has(name))) throw new AppError('NOT_FOUND', `template ${name} is not on the node and cannot be built there`);
  await ctx.log(`template ${name} is not cached on the node; building it`);
  await agent.call('template.build', { name }, taskCallOptions(ctx, 'template', [0, 10]));
}
