-- Placement (server/services/placement) summed the RAM and disk limits of every VE on a node on each
-- create: O(VEs on the node) per request (issue 15). These triggers keep the sums per node instead,
-- in the same transaction as the change to "Ve", so placement reads one row per node.

CREATE TABLE "NodeCommitment" (
    "nodeId" TEXT NOT NULL,
    "ram" DECIMAL NOT NULL DEFAULT 0,
    "disk" DECIMAL NOT NULL DEFAULT 0,

    CONSTRAINT "NodeCommitment_pkey" PRIMARY KEY ("nodeId")
);

-- A limit counts when it is a JSON number (as placement's sum read it before).
CREATE OR REPLACE FUNCTION vz_ve_limit(limits jsonb, k text) RETURNS numeric AS $$
  SELECT CASE WHEN jsonb_typeof(limits -> k) = 'number' THEN (limits ->> k)::numeric ELSE 0 END
$$ LANGUAGE sql IMMUTABLE;

-- Inserts and deletes: once per statement over its rows (a bulk seed of 100,000 VEs is one upsert
-- per node, not one per VE).
CREATE OR REPLACE FUNCTION vz_node_commitment_insert() RETURNS trigger AS $$
BEGIN
  INSERT INTO "NodeCommitment" ("nodeId", ram, disk)
    SELECT "nodeId", SUM(vz_ve_limit(limits, 'ram')), SUM(vz_ve_limit(limits, 'diskspace')) FROM new_rows GROUP BY "nodeId" ORDER BY "nodeId"
    ON CONFLICT ("nodeId") DO UPDATE SET ram = "NodeCommitment".ram + EXCLUDED.ram, disk = "NodeCommitment".disk + EXCLUDED.disk;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION vz_node_commitment_delete() RETURNS trigger AS $$
BEGIN
  UPDATE "NodeCommitment" c SET ram = c.ram - o.ram, disk = c.disk - o.disk
    FROM (SELECT "nodeId", SUM(vz_ve_limit(limits, 'ram')) AS ram, SUM(vz_ve_limit(limits, 'diskspace')) AS disk FROM old_rows GROUP BY "nodeId") o
    WHERE c."nodeId" = o."nodeId";
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- Updates: per row, and only those that move a VE or change its limits (power states, drift and
-- the rest do not fire it; a trigger with a column list cannot see a statement's rows).
CREATE OR REPLACE FUNCTION vz_node_commitment_update() RETURNS trigger AS $$
BEGIN
  -- A VE moving between nodes touches two rows: lock them in one order, so two moves in opposite
  -- directions at once wait for each other instead of deadlocking.
  IF OLD."nodeId" IS DISTINCT FROM NEW."nodeId" THEN
    PERFORM 1 FROM "NodeCommitment" WHERE "nodeId" IN (OLD."nodeId", NEW."nodeId") ORDER BY "nodeId" FOR UPDATE;
  END IF;
  UPDATE "NodeCommitment" SET ram = ram - vz_ve_limit(OLD.limits, 'ram'), disk = disk - vz_ve_limit(OLD.limits, 'diskspace')
    WHERE "nodeId" = OLD."nodeId";
  INSERT INTO "NodeCommitment" ("nodeId", ram, disk) VALUES (NEW."nodeId", vz_ve_limit(NEW.limits, 'ram'), vz_ve_limit(NEW.limits, 'diskspace'))
    ON CONFLICT ("nodeId") DO UPDATE SET ram = "NodeCommitment".ram + EXCLUDED.ram, disk = "NodeCommitment".disk + EXCLUDED.disk;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "Ve_node_commitment_insert" AFTER INSERT ON "Ve" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION vz_node_commitment_insert();
CREATE TRIGGER "Ve_node_commitment_delete" AFTER DELETE ON "Ve" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION vz_node_commitment_delete();
CREATE TRIGGER "Ve_node_commitment_update" AFTER UPDATE OF limits, "nodeId" ON "Ve" FOR EACH ROW
  WHEN (OLD.limits IS DISTINCT FROM NEW.limits OR OLD."nodeId" IS DISTINCT FROM NEW."nodeId")
  EXECUTE FUNCTION vz_node_commitment_update();

INSERT INTO "NodeCommitment" ("nodeId", ram, disk)
  SELECT "nodeId", SUM(vz_ve_limit(limits, 'ram')), SUM(vz_ve_limit(limits, 'diskspace')) FROM "Ve" GROUP BY "nodeId";
