-- AlterTable
ALTER TABLE "Node" ADD COLUMN     "maintenanceReason" TEXT;

-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "nodeGroupId" TEXT;

-- AddForeignKey
ALTER TABLE "Plan" ADD CONSTRAINT "Plan_nodeGroupId_fkey" FOREIGN KEY ("nodeGroupId") REFERENCES "NodeGroup"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
