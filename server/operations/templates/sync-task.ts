// Task "template.sync": the template's newest version into one node's cache, its TemplateCache row
// going syncing -> ready, or failed with the reason (a retry between attempts shows pending + why).
import { AppError } from '@/server/errors';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { agentForNode } from '@/server/operations/ve/agent';
import { ensureTemplateOnNode } from '@/server/operations/ve/templates';
import { setCacheState } from '@/server/services/templates/distribution/queue';
import { newestVersion } from '@/server/services/templates/versions';

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

// A removed node (the task's nodeId is then null) or template leaves nothing to copy.
async function target(ctx: TaskContext) {
  const nodeId = ctx.task.nodeId;
  const { templateId } = taskParams(ctx, 'template.sync');
  return { nodeId, templateId, template: await ctx.prisma.template.findUnique({ where: { id: templateId }, select: { id: true, name: true } }) };
}

async function run(ctx: TaskContext) {
  const { nodeId, template } = await target(ctx);
  if (!template || !nodeId) {
    await ctx.log(`the ${template ? 'node' : 'template'} was removed meanwhile; nothing to copy`);
    return { skipped: true };
  }
  const version = await newestVersion(ctx.prisma, template.id);
  if (!version) throw new AppError('UNPROCESSABLE', `template ${template.name} has no version to copy`);
  await ctx.log(`template ${template.name} version ${version.number} (${version.cacheName}) to this node (${taskParams(ctx, 'template.sync').why})`);
  await setCacheState(ctx.prisma, template.id, nodeId, 'syncing');
  try {
    const agent = await agentForNode(ctx.prisma, nodeId);
    const how = await ensureTemplateOnNode(agent, version.cacheName, ctx, nodeId, [0, 95]);
    return { template: template.name, version: version.number, cacheName: version.cacheName, sha256: version.sha256, how };
  } catch (e) {
    // Another attempt follows when the runner retries (node offline or busy); the last one ends in onFailed.
    if (!ctx.isLastAttempt) await setCacheState(ctx.prisma, template.id, nodeId, 'pending', `attempt ${ctx.attempt} failed, retrying: ${reason(e)}`);
    throw e;
  }
}

async function failed(ctx: TaskContext, e: unknown) {
  const { nodeId, template } = await target(ctx);
  if (template && nodeId) await setCacheState(ctx.prisma, template.id, nodeId, 'failed', reason(e));
}

export function registerTemplateSyncTask(): void {
  registerTaskHandler({ type: 'template.sync', run, onFailed: failed });
}
