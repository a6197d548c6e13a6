-- Open web consoles end when their right ends (server/services/console/revoke.ts). Whatever path
-- changes a VE's state or owner, deletes it, disables a user, ends a session or revokes an API key,
-- these triggers announce it on the vz_console channel, so every panel process rechecks its consoles.

CREATE OR REPLACE FUNCTION vz_console_notify() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME = 'Ve' THEN
    IF TG_OP = 'DELETE' THEN
      PERFORM pg_notify('vz_console', 've:' || OLD.id);
    ELSIF NEW.state IS DISTINCT FROM OLD.state OR NEW."ownerId" IS DISTINCT FROM OLD."ownerId" THEN
      PERFORM pg_notify('vz_console', 've:' || NEW.id);
    END IF;
  ELSIF TG_TABLE_NAME = 'User' THEN
    IF TG_OP = 'DELETE' THEN
      PERFORM pg_notify('vz_console', 'user:' || OLD.id);
    ELSIF NEW.disabled IS DISTINCT FROM OLD.disabled OR NEW.role IS DISTINCT FROM OLD.role THEN
      PERFORM pg_notify('vz_console', 'user:' || NEW.id);
    END IF;
  ELSIF TG_TABLE_NAME = 'Session' THEN
    PERFORM pg_notify('vz_console', 'user:' || OLD."userId");
  ELSIF TG_TABLE_NAME = 'ApiKey' THEN
    IF TG_OP = 'DELETE' THEN
      PERFORM pg_notify('vz_console', 'key:' || OLD.id);
    ELSIF NEW."revokedAt" IS DISTINCT FROM OLD."revokedAt" THEN
      PERFORM pg_notify('vz_console', 'key:' || NEW.id);
    END IF;
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "Ve_console_notify" AFTER UPDATE OR DELETE ON "Ve" FOR EACH ROW EXECUTE FUNCTION vz_console_notify();
CREATE TRIGGER "User_console_notify" AFTER UPDATE OR DELETE ON "User" FOR EACH ROW EXECUTE FUNCTION vz_console_notify();
CREATE TRIGGER "Session_console_notify" AFTER DELETE ON "Session" FOR EACH ROW EXECUTE FUNCTION vz_console_notify();
CREATE TRIGGER "ApiKey_console_notify" AFTER UPDATE OR DELETE ON "ApiKey" FOR EACH ROW EXECUTE FUNCTION vz_console_notify();
