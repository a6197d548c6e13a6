-- AlterTable
ALTER TABLE "Ve" ADD COLUMN     "templateVersion" INTEGER;

-- CreateTable
CREATE TABLE "TemplateVersion" (
    "id" TEXT NOT NULL,
    "templateId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "os" TEXT NOT NULL,
    "osVersion" TEXT NOT NULL,
    "sizeBytes" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "storagePath" TEXT,
    "cacheName" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TemplateVersion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TemplateVersion_templateId_number_key" ON "TemplateVersion"("templateId", "number");

-- AddForeignKey
ALTER TABLE "TemplateVersion" ADD CONSTRAINT "TemplateVersion_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every existing template becomes its own version 1 (cached on nodes under its bare name), and the
-- VEs installed from it record that version.
INSERT INTO "TemplateVersion" ("id", "templateId", "number", "os", "osVersion", "sizeBytes", "sha256", "storagePath", "cacheName", "source", "createdAt")
SELECT gen_random_uuid()::text, "id", 1, "os", "version", "sizeBytes", "sha256", "storagePath", "name", 'node', "createdAt" FROM "Template";
UPDATE "Ve" SET "templateVersion" = 1;
