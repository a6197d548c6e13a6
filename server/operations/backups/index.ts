// Backups (issue 12): task handlers, the scheduler's cron jobs, storage admin and the download stream.
import { registerBackupCreateTask } from './create-task';
import { registerBackupRestoreTask } from './restore-task';
import { registerStorageTasks } from './storage-tasks';
import { registerSnapshotTasks } from './snapshot-tasks';
import { registerDrillTask } from './drill-task';

export { backupCronItems, backupCronTasks, runBackupSchedules } from './scheduler';

/** Registers every backup and snapshot task type with the runner (idempotent: the registry is a map). */
export function registerBackupTasks(): void {
  registerBackupCreateTask();
  registerBackupRestoreTask();
  registerStorageTasks();
  registerSnapshotTasks();
  registerDrillTask();
}
