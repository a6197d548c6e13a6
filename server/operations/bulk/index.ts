// Bulk jobs' runner (issue 6): register with the worker via registerBulkTasks().
export { registerBulkTasks } from './run';
export { aptUpdateScript } from './exec-batch';
