// Migration tasks and requests (issue 6). Call registerMigrateTasks() once where the worker starts.
import { registerTaskHandler } from '@/server/operations/tasks/registry';
import { runEvacuate } from './evacuate';
import { runMigrate, runMigratedCleanup } from './task';

export { chooseMode, planMigration, PHASES, type MigrationPlan, type MigrateMode, type RequestedMode } from './plan';
export { migrationHooks } from './task';
export { checkpointSupport } from './checkpoint';
export { chooseMigrationTarget } from './placement';
export { requestEvacuate, type EvacuateItem, type EvacuateRequest, type EvacuateResult } from './evacuate';
export { requestMigrateVe, type MigrateRequest } from './request';

export function registerMigrateTasks(): void {
  registerTaskHandler({ type: 've.migrate', run: runMigrate });
  registerTaskHandler({ type: 've.migrated.cleanup', run: runMigratedCleanup });
  registerTaskHandler({ type: 'node.evacuate', run: runEvacuate });
}
