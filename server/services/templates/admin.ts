// Admin switches on templates (kept apart from the node-facing cache bookkeeping in index.ts).
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';

/** Enables or disables a template for new installs; NOT_FOUND for unknown ids. */
export async function setTemplateEnabled(prisma: PrismaClient, id: string, enabled: boolean) {
  const r = await prisma.template.updateMany({ where: { id }, data: { enabled } });
  if (!r.count) throw new AppError('NOT_FOUND', 'Template not found');
  return { id, enabled };
}
