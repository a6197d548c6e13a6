import { createCallerFactory, router } from './trpc';
import { authRouter } from './routers/auth';
import { nodesRouter } from './routers/nodes';
import { apiKeysRouter } from './routers/apiKeys';
import { billingRouter } from './routers/billing';
import { health } from './routers/health';

export const appRouter = router({
  auth: authRouter,
  nodes: nodesRouter,
  apiKeys: apiKeysRouter,
  billing: billingRouter,
  health,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
