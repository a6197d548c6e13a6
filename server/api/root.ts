import { createCallerFactory, router } from './trpc';
import { authRouter } from './routers/auth';
import { nodesRouter } from './routers/nodes';
import { apiKeysRouter } from './routers/apiKeys';
import { billingRouter } from './routers/billing';
import { health } from './routers/health';
import { plansRouter } from './routers/plans';
import { ipPoolsRouter } from './routers/ipPools';
import { vesRouter } from './routers/ves';
import { tasksRouter } from './routers/tasks';
import { reconcileRouter } from './routers/reconcile';
import { customersRouter } from './routers/customers';
import { templatesRouter } from './routers/templates';
import { portalRouter } from './routers/portal';
import { bulkRouter } from './routers/bulk';
import { webhooksRouter } from './routers/webhooks';
import { auditRouter } from './routers/audit';
import { importsRouter } from './routers/imports';
import { staffRouter } from './routers/staff';
import { nodeGroupsRouter } from './routers/nodeGroups';
import { usageRouter } from './routers/usage';
import { backupsRouter } from './routers/backups';

export const appRouter = router({
  auth: authRouter,
  nodes: nodesRouter,
  apiKeys: apiKeysRouter,
  billing: billingRouter,
  health,
  plans: plansRouter,
  ipPools: ipPoolsRouter,
  ves: vesRouter,
  tasks: tasksRouter,
  reconcile: reconcileRouter,
  customers: customersRouter,
  templates: templatesRouter,
  portal: portalRouter,
  bulk: bulkRouter,
  webhooks: webhooksRouter,
  audit: auditRouter,
  imports: importsRouter,
  staff: staffRouter,
  nodeGroups: nodeGroupsRouter,
  usage: usageRouter,
  backups: backupsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
