-- CreateEnum
CREATE TYPE "BackupStorageKind" AS ENUM ('local', 'sftp');

-- CreateEnum
CREATE TYPE "BackupStorageState" AS ENUM ('unchecked', 'ok', 'failed');

-- CreateEnum
CREATE TYPE "BackupState" AS ENUM ('queued', 'running', 'completed', 'failed');

-- CreateEnum
CREATE TYPE "BackupKind" AS ENUM ('manual', 'scheduled', 'drill');

-- CreateEnum
CREATE TYPE "BackupFrequency" AS ENUM ('daily', 'weekly');

-- CreateEnum
CREATE TYPE "SnapshotState" AS ENUM ('creating', 'ready', 'failed', 'deleting');

-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "backupLimit" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "snapshotLimit" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "BackupStorage" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "BackupStorageKind" NOT NULL,
    "host" TEXT,
    "port" INTEGER NOT NULL DEFAULT 22,
    "user" TEXT,
    "path" TEXT NOT NULL,
    "hostKey" TEXT,
    "hostKeyFingerprint" TEXT,
    "sshKeySealed" TEXT,
    "sshPublicKey" TEXT,
    "passwordSealed" TEXT NOT NULL,
    "state" "BackupStorageState" NOT NULL DEFAULT 'unchecked',
    "lastCheckedAt" TIMESTAMP(3),
    "lastCheckError" TEXT,
    "lastCheck" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BackupStorage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Backup" (
    "id" TEXT NOT NULL,
    "veId" TEXT,
    "veid" INTEGER NOT NULL,
    "hostname" TEXT NOT NULL,
    "ownerId" TEXT,
    "planId" TEXT,
    "templateId" TEXT,
    "storageId" TEXT NOT NULL,
    "nodeId" TEXT,
    "kind" "BackupKind" NOT NULL DEFAULT 'manual',
    "state" "BackupState" NOT NULL DEFAULT 'queued',
    "resticId" TEXT,
    "sizeBytes" BIGINT,
    "addedBytes" BIGINT,
    "fileCount" INTEGER,
    "manifestDigest" TEXT,
    "pauseMs" INTEGER,
    "durationMs" INTEGER,
    "taskId" TEXT,
    "error" TEXT,
    "errorCode" TEXT,
    "verifiedAt" TIMESTAMP(3),
    "verifyError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Backup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BackupSchedule" (
    "id" TEXT NOT NULL,
    "planId" TEXT,
    "veId" TEXT,
    "storageId" TEXT NOT NULL,
    "frequency" "BackupFrequency" NOT NULL DEFAULT 'daily',
    "weekday" INTEGER NOT NULL DEFAULT 0,
    "windowStart" INTEGER NOT NULL DEFAULT 120,
    "windowMinutes" INTEGER NOT NULL DEFAULT 240,
    "keepDaily" INTEGER NOT NULL DEFAULT 7,
    "keepWeekly" INTEGER NOT NULL DEFAULT 4,
    "keepMonthly" INTEGER NOT NULL DEFAULT 3,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BackupSchedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VeSnapshot" (
    "id" TEXT NOT NULL,
    "veId" TEXT NOT NULL,
    "agentId" TEXT,
    "name" TEXT NOT NULL DEFAULT '',
    "state" "SnapshotState" NOT NULL DEFAULT 'creating',
    "taskId" TEXT,
    "sizeBytes" BIGINT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "VeSnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BackupDownload" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "backupId" TEXT NOT NULL,
    "userId" TEXT,
    "apiKeyId" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BackupDownload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "BackupStorage_name_key" ON "BackupStorage"("name");

-- CreateIndex
CREATE INDEX "Backup_veId_createdAt_idx" ON "Backup"("veId", "createdAt");

-- CreateIndex
CREATE INDEX "Backup_ownerId_createdAt_idx" ON "Backup"("ownerId", "createdAt");

-- CreateIndex
CREATE INDEX "Backup_storageId_state_idx" ON "Backup"("storageId", "state");

-- CreateIndex
CREATE INDEX "Backup_nodeId_state_idx" ON "Backup"("nodeId", "state");

-- CreateIndex
CREATE INDEX "Backup_state_createdAt_idx" ON "Backup"("state", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "BackupSchedule_planId_key" ON "BackupSchedule"("planId");

-- CreateIndex
CREATE UNIQUE INDEX "BackupSchedule_veId_key" ON "BackupSchedule"("veId");

-- CreateIndex
CREATE INDEX "VeSnapshot_veId_createdAt_idx" ON "VeSnapshot"("veId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "BackupDownload_tokenHash_key" ON "BackupDownload"("tokenHash");

-- CreateIndex
CREATE INDEX "BackupDownload_expiresAt_idx" ON "BackupDownload"("expiresAt");

-- AddForeignKey
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_veId_fkey" FOREIGN KEY ("veId") REFERENCES "Ve"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_storageId_fkey" FOREIGN KEY ("storageId") REFERENCES "BackupStorage"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BackupSchedule" ADD CONSTRAINT "BackupSchedule_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BackupSchedule" ADD CONSTRAINT "BackupSchedule_veId_fkey" FOREIGN KEY ("veId") REFERENCES "Ve"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BackupSchedule" ADD CONSTRAINT "BackupSchedule_storageId_fkey" FOREIGN KEY ("storageId") REFERENCES "BackupStorage"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VeSnapshot" ADD CONSTRAINT "VeSnapshot_veId_fkey" FOREIGN KEY ("veId") REFERENCES "Ve"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BackupDownload" ADD CONSTRAINT "BackupDownload_backupId_fkey" FOREIGN KEY ("backupId") REFERENCES "Backup"("id") ON DELETE CASCADE ON UPDATE CASCADE;
