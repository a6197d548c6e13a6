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

CREATE OR REPLACE FUNCTION vz_node_commitment() RETURNS trigger AS $$
BEGIN
  -- A VE moving between nodes touches two rows: lock them in one order, so two moves in opposite
  -- directions at once wait for each other instead of deadlocking.
  IF TG_OP = 'UPDATE' AND OLD."nodeId" IS DISTINCT FROM NEW."nodeId" THEN
    PERFORM 1 FROM "NodeCommitment" WHERE "nodeId" IN (OLD."nodeId", NEW."nodeId") ORDER BY "nodeId" FOR UPDATE;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    UPDATE "NodeCommitment" SET ram = ram - vz_ve_limit(OLD.limits, 'ram'), disk = disk - vz_ve_limit(OLD.limits, 'diskspace')
      WHERE "nodeId" = OLD."nodeId";
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO "NodeCommitment" ("nodeId", ram, disk) VALUES (NEW."nodeId", vz_ve_limit(NEW.limits, 'ram'), vz_ve_limit(NEW.limits, 'diskspace'))
      ON CONFLICT ("nodeId") DO UPDATE SET ram = "NodeCommitment".ram + EXCLUDED.ram, disk = "NodeCommitment".disk + EXCLUDED.disk;
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "Ve_node_commitment_insert_delete" AFTER INSERT OR DELETE ON "Ve" FOR EACH ROW EXECUTE FUNCTION vz_node_commitment();
-- Only updates that move a VE or change its limits (power states, drift and the rest do not fire it).
CREATE TRIGGER "Ve_node_commitment_update" AFTER UPDATE OF limits, "nodeId" ON "Ve" FOR EACH ROW
  WHEN (OLD.limits IS DISTINCT FROM NEW.limits OR OLD."nodeId" IS DISTINCT FROM NEW."nodeId")
  EXECUTE FUNCTION vz_node_commitment();

INSERT INTO "NodeCommitment" ("nodeId", ram, disk)
  SELECT "nodeId", SUM(vz_ve_limit(limits, 'ram')), SUM(vz_ve_limit(limits, 'diskspace')) FROM "Ve" GROUP BY "nodeId";
