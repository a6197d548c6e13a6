-- CreateTable
CREATE TABLE "OpenvzSource" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "port" INTEGER NOT NULL DEFAULT 22,
    "user" TEXT NOT NULL DEFAULT 'root',
    "hostKey" TEXT NOT NULL,
    "hostKeyFingerprint" TEXT NOT NULL,
    "confDir" TEXT NOT NULL DEFAULT '/etc/vz/conf',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OpenvzSource_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "OpenvzSource_name_key" ON "OpenvzSource"("name");
