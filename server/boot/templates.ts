import type { PrismaClient } from '@/server/db/client';
import { getAgent } from '@/server/nodes/pool';
import { nodeSpec } from '@/server/nodes/spec';
import { recordTemplateOnNode } from '@/server/services/templates';
import { logger } from '@/server/logger';

/**
 * First start: make sure the local node has the small `busybox` template (built from the host's
 * busybox-static in seconds) and that the panel lists every template the node has cached.
 * Failure is logged, not fatal: the panel still starts and the node shows why.
 */
export async function ensureLocalTemplates(prisma: PrismaClient, nodeName: string, wanted = ['busybox']): Promise<void> {
  const node = await prisma.node.findUnique({ where: { name: nodeName } });
  if (!node) return;
  try {
    const agent = getAgent(node.id, nodeSpec(node));
    let { templates } = await agent.call('template.list', {});
    for (const name of wanted) {
      if (templates.some((t) => t.name === name)) continue;
      logger.info({ template: name }, 'building template on the local node');
      await agent.call('template.build', { name: name as 'busybox' }, { opId: `boot-template-${name}-${Date.now()}` });
      ({ templates } = await agent.call('template.list', {}));
    }
    for (const t of templates) await recordTemplateOnNode(prisma, node.id, t);
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'could not prepare templates on the local node');
  }
}
