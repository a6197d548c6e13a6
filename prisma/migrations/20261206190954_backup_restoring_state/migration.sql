-- AlterEnum
ALTER TYPE "VeState" ADD VALUE 'restoring';

-- AlterTable
ALTER TABLE "BackupSchedule" ADD COLUMN     "effectiveFrom" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- Existing schedules were in effect since they were made: a window they missed still catches up once.
UPDATE "BackupSchedule" SET "effectiveFrom" = "createdAt";
