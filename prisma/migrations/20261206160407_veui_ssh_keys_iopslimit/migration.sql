-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "iopslimit" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "VeSshKey" (
    "id" TEXT NOT NULL,
    "veId" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "comment" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VeSshKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "VeSshKey_veId_fingerprint_key" ON "VeSshKey"("veId", "fingerprint");

-- AddForeignKey
ALTER TABLE "VeSshKey" ADD CONSTRAINT "VeSshKey_veId_fkey" FOREIGN KEY ("veId") REFERENCES "Ve"("id") ON DELETE CASCADE ON UPDATE CASCADE;
