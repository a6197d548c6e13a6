-- DropForeignKey
ALTER TABLE "UsageRollup" DROP CONSTRAINT "UsageRollup_veId_fkey";

-- DropForeignKey
ALTER TABLE "UsageSample" DROP CONSTRAINT "UsageSample_veId_fkey";

-- DropTable
DROP TABLE "UsageRollup";

-- DropTable
DROP TABLE "UsageSample";

-- DropEnum
DROP TYPE "UsagePeriod";

-- CreateTable
CREATE TABLE "UsagePolicy" (
    "planId" TEXT NOT NULL,
    "anchorDay" INTEGER,
    "trafficQuota" BIGINT NOT NULL DEFAULT 0,
    "warnPct" INTEGER NOT NULL DEFAULT 80,
    "throttleRate" INTEGER NOT NULL DEFAULT 0,
    "suspendPct" INTEGER,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UsagePolicy_pkey" PRIMARY KEY ("planId")
);

-- CreateTable
CREATE TABLE "VeUsage" (
    "veId" TEXT NOT NULL,
    "anchorDay" INTEGER,
    "periodStart" TIMESTAMP(3),
    "warnedAt" TIMESTAMP(3),
    "throttledAt" TIMESTAMP(3),
    "suspendedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "VeUsage_pkey" PRIMARY KEY ("veId")
);

-- AddForeignKey
ALTER TABLE "UsagePolicy" ADD CONSTRAINT "UsagePolicy_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VeUsage" ADD CONSTRAINT "VeUsage_veId_fkey" FOREIGN KEY ("veId") REFERENCES "Ve"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Usage history (helper: usage). Its own schema, so Prisma's drift check never sees (or drops)
-- these raw-SQL partitioned tables. Rows outlive their VE on purpose: billing reads the last period
-- of a destroyed VE. Partitions are made ahead and dropped past retention by the panel's
-- retention job (server/services/usage/partitions.ts): raw daily (48 h), m5 daily (35 days),
-- h1 and d1 monthly (400 days).
CREATE SCHEMA IF NOT EXISTS usage;

-- One row per VE per sampling pass. Counter columns hold growth since the previous sample.
CREATE TABLE usage.raw (
    ve_id       TEXT        NOT NULL,
    ts          TIMESTAMPTZ NOT NULL,
    node_id     TEXT        NOT NULL,
    interval_ms INTEGER     NOT NULL,
    running     BOOLEAN     NOT NULL,
    cpu_ns      BIGINT      NOT NULL DEFAULT 0,
    mem         BIGINT      NOT NULL DEFAULT 0,
    swap        BIGINT      NOT NULL DEFAULT 0,
    pids        INTEGER     NOT NULL DEFAULT 0,
    disk_used   BIGINT,
    disk_total  BIGINT,
    inodes_used BIGINT,
    net_in      BIGINT      NOT NULL DEFAULT 0,
    net_out     BIGINT      NOT NULL DEFAULT 0,
    pkt_in      BIGINT      NOT NULL DEFAULT 0,
    pkt_out     BIGINT      NOT NULL DEFAULT 0,
    rd_bytes    BIGINT      NOT NULL DEFAULT 0,
    wr_bytes    BIGINT      NOT NULL DEFAULT 0,
    rd_ios      BIGINT      NOT NULL DEFAULT 0,
    wr_ios      BIGINT      NOT NULL DEFAULT 0,
    PRIMARY KEY (ve_id, ts)
) PARTITION BY RANGE (ts);

-- Rollups: sums of the counters, average (mem_sum / samples) and peaks of the gauges.
CREATE TABLE usage.m5 (
    ve_id       TEXT        NOT NULL,
    bucket      TIMESTAMPTZ NOT NULL,
    samples     INTEGER     NOT NULL,
    run_ms      BIGINT      NOT NULL,
    cpu_ns      BIGINT      NOT NULL,
    mem_sum     BIGINT      NOT NULL,
    mem_max     BIGINT      NOT NULL,
    swap_max    BIGINT      NOT NULL,
    pids_max    INTEGER     NOT NULL,
    disk_used   BIGINT,
    disk_total  BIGINT,
    inodes_used BIGINT,
    net_in      BIGINT      NOT NULL,
    net_out     BIGINT      NOT NULL,
    pkt_in      BIGINT      NOT NULL,
    pkt_out     BIGINT      NOT NULL,
    rd_bytes    BIGINT      NOT NULL,
    wr_bytes    BIGINT      NOT NULL,
    rd_ios      BIGINT      NOT NULL,
    wr_ios      BIGINT      NOT NULL,
    PRIMARY KEY (ve_id, bucket)
) PARTITION BY RANGE (bucket);

CREATE TABLE usage.h1 (LIKE usage.m5 INCLUDING DEFAULTS, PRIMARY KEY (ve_id, bucket)) PARTITION BY RANGE (bucket);
-- Daily rollups: a billing period of whole days is ~30 rows per VE (usage of 10,000 VEs in one scan).
CREATE TABLE usage.d1 (LIKE usage.m5 INCLUDING DEFAULTS, PRIMARY KEY (ve_id, bucket)) PARTITION BY RANGE (bucket);

-- Limit hits, coalesced per VE, kind and 5 minutes: how many, the OOM-killed process names,
-- and an amount where the kind has one (ns of CPU throttling).
CREATE TABLE usage.event (
    ve_id    TEXT        NOT NULL,
    kind     TEXT        NOT NULL,
    bucket   TIMESTAMPTZ NOT NULL,
    first_ts TIMESTAMPTZ NOT NULL,
    last_ts  TIMESTAMPTZ NOT NULL,
    count    BIGINT      NOT NULL,
    amount   BIGINT      NOT NULL DEFAULT 0,
    tasks    TEXT[]      NOT NULL DEFAULT '{}',
    PRIMARY KEY (ve_id, bucket, kind)
);
CREATE INDEX event_bucket_idx ON usage.event (bucket);

-- The last batch stored from each node's spool: a batch delivered again (lost ack) is skipped.
CREATE TABLE usage.cursor (
    node_id TEXT   NOT NULL,
    spool   TEXT   NOT NULL,
    seq     BIGINT NOT NULL,
    at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (node_id, spool)
);
