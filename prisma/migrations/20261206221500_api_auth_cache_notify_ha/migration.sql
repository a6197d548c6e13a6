-- Session lookups are cached per panel process (server/services/auth/listenCache.ts) with the user's
-- email, name, staff role and 2FA flag. The console trigger (console_revoke_notify_acct) already
-- announces `user:<id>` when a user is disabled, changes role or is deleted, or a session ends; this
-- one announces the other cached fields, so no process shows or authorizes with a stale copy.

CREATE OR REPLACE FUNCTION vz_auth_cache_notify() RETURNS trigger AS $$
BEGIN
  IF NEW."adminRole" IS DISTINCT FROM OLD."adminRole" OR NEW."totpEnabled" IS DISTINCT FROM OLD."totpEnabled"
     OR NEW.email IS DISTINCT FROM OLD.email OR NEW.name IS DISTINCT FROM OLD.name THEN
    PERFORM pg_notify('vz_console', 'user:' || NEW.id);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "User_auth_cache_notify" AFTER UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION vz_auth_cache_notify();
