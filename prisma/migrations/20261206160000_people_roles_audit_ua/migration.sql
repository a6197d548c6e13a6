-- Staff roles (owner, admin, support, billing), the client user agent on audit rows, and the
-- response body excerpt of webhook deliveries (people helper).
CREATE TYPE "AdminRole" AS ENUM ('owner', 'admin', 'support', 'billing');

ALTER TABLE "User" ADD COLUMN "adminRole" "AdminRole";
-- Every admin so far had every right: they become owners, so none loses the power to manage staff.
UPDATE "User" SET "adminRole" = 'owner' WHERE role = 'admin';

ALTER TABLE "AuditLog" ADD COLUMN "userAgent" TEXT;

ALTER TABLE "WebhookDelivery" ADD COLUMN "responseBody" TEXT;
