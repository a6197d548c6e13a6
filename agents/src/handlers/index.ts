/**
 * Handler registry: every method implementation the daemon serves. Add one import and one
 * list entry per handler file (agents/src/handlers/<verb>.ts).
 */
import type { AnyHandler } from '../daemon/types';
import { backupHandlers } from './backup';
import { bulkHandlers } from './bulk';
import { consolePrepare } from './console';
import { hello } from './hello';
import { migrateHandlers } from './migrate';
import { nodeInfo } from './node-info';
import { veHandlers } from './ve';
import { veImport, veImportList, veImportPlan } from './ve-import';
import { veSshKeys } from './ve-sshkeys';
import { templateReceiveHandlers } from './template-receive';
import { usagePull } from './usage';
import { veShaping, veThrottle } from './ve-throttle';

export const handlers: AnyHandler[] = [
  hello,
  nodeInfo,
  ...veHandlers,
  ...migrateHandlers,
  ...bulkHandlers,
  consolePrepare,
  veImportList,
  veImportPlan,
  veImport,
  veSshKeys,
  usagePull,
  veThrottle, veShaping,
  ...backupHandlers,
  ...templateReceiveHandlers,
];
