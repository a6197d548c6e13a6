// Makes sure a node has a template cached before a create uses it (built-in ones are built there).
import type { AgentClient } from '@/server/nodes/client';
import { AppError } from '@/server/errors';
import type { TaskContext } from '@/server/operations/tasks/registry';
import { taskCallOptions } from './agent';

const BUILDABLE = new Set(['busybox', 'debian-12']);

export async function ensureTemplateOnNode(agent: AgentClient, name: string, ctx: TaskContext): Promise<void> {
  const { templates } = await agent.call('template.list', {});
  if (templates.some((t) => t.name === name)) return;
  if (!BUILDABLE.has(name)) throw new AppError('NOT_FOUND', `template ${name} is not on the node and cannot be built there`);
  await ctx.log(`template ${name} is not cached on the node; building it`);
  await agent.call('template.build', { name: name as 'busybox' | 'debian-12' }, taskCallOptions(ctx, 'template', [0, 10]));
}
