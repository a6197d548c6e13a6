import { router } from '@/server/api/trpc';
import { catalog } from './catalog';
import { nodes } from './nodes';
import { ves } from './ves';
import { upsertCustomer } from './upsertCustomer';
import { deleteCustomer } from './deleteCustomer';
import { loginToken } from './loginToken';
import { create } from './create';
import { status } from './status';
import { statusMany } from './statusMany';
import { get } from './get';
import { suspend } from './suspend';
import { unsuspend } from './unsuspend';
import { terminate } from './terminate';
import { changePlan } from './changePlan';
import { power } from './power';
import { setPassword } from './setPassword';
import { setHostname } from './setHostname';
import { reinstall } from './reinstall';
import { consoleUrl } from './console';
import { task } from './task';
import { webhooks } from './webhooks';
import { webhookCreate } from './webhookCreate';
import { webhookDelete } from './webhookDelete';
import { webhookRotate } from './webhookRotate';
import { addAddress } from './addAddress';
import { removeAddress } from './removeAddress';
import { usage } from './usage';
import { usageAll } from './usageAll';
import { setAnchorDay } from './setAnchorDay';
import { backups } from './backups';
import { backupCreate } from './backupCreate';
import { backupRestore } from './backupRestore';

/**
 * Billing REST (/api/v1, API-key auth); also callable over tRPC with a bearer key.
 * `status` (GET /ves/status) stays before `get` (GET /ves/{id}): REST routes match in this order.
 */
export const billingRouter = router({
  catalog, nodes, ves, upsertCustomer, deleteCustomer, loginToken, create, status, statusMany, get, suspend, unsuspend, terminate, changePlan, power, setPassword, setHostname, reinstall, consoleUrl, task,
  webhooks, webhookCreate, webhookDelete, webhookRotate, addAddress, removeAddress,
  usage, usageAll, setAnchorDay,
  backups, backupCreate, backupRestore,
});
