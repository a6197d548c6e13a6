-- CreateEnum
CREATE TYPE "BulkItemStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled');

-- AlterTable
ALTER TABLE "BulkJob" ADD COLUMN     "batchSize" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "canarySize" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "cancelRequestedAt" TIMESTAMP(3),
ADD COLUMN     "failures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "rerunOfId" TEXT,
ADD COLUMN     "selector" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "stopAfterFailures" INTEGER,
ADD COLUMN     "stopReason" TEXT;

-- AlterTable
ALTER TABLE "BulkJobItem" ADD COLUMN     "agentOpId" TEXT,
ADD COLUMN     "batch" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "durationMs" INTEGER,
ADD COLUMN     "exitCode" INTEGER,
ADD COLUMN     "finishedAt" TIMESTAMP(3),
ADD COLUMN     "nodeId" TEXT,
ADD COLUMN     "startedAt" TIMESTAMP(3),
ADD COLUMN     "stderrTail" TEXT,
ADD COLUMN     "stdoutTail" TEXT,
ADD COLUMN     "timedOut" BOOLEAN NOT NULL DEFAULT false,
DROP COLUMN "status",
ADD COLUMN     "status" "BulkItemStatus" NOT NULL DEFAULT 'queued';

-- CreateIndex
CREATE INDEX "BulkJobItem_bulkJobId_status_idx" ON "BulkJobItem"("bulkJobId", "status");
