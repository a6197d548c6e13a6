// Billing webhooks of backups: backup.completed / backup.failed name the VE by id, ctid and external id.
import type { Backup, PrismaClient } from '@/server/db/client';
import { emitWebhookEvent } from '@/server/services/webhooks';

export async function emitBackupEvent(prisma: PrismaClient, b: Backup): Promise<void> {
  const ve = b.veId ? await prisma.ve.findUnique({ where: { id: b.veId }, select: { id: true, ctid: true, externalId: true, hostname: true } }) : null;
  const data = {
    backup: {
      id: b.id, kind: b.kind, state: b.state, storageId: b.storageId, resticId: b.resticId, sizeBytes: b.sizeBytes == null ? null : Number(b.sizeBytes),
      addedBytes: b.addedBytes == null ? null : Number(b.addedBytes), error: b.error, errorCode: b.errorCode, taskId: b.taskId,
      createdAt: b.createdAt.toISOString(), finishedAt: b.finishedAt?.toISOString() ?? null,
    },
    ve: { id: b.veId, ctid: b.ctid, externalId: ve?.externalId ?? null, hostname: ve?.hostname ?? b.hostname },
  };
  await emitWebhookEvent(prisma, b.state === 'completed' ? 'backup.completed' : 'backup.failed', data);
}
