-- AlterTable
ALTER TABLE "VeUsage" ADD COLUMN     "throttleRate" INTEGER,
ADD COLUMN     "trafficOffset" BIGINT NOT NULL DEFAULT 0;
