// Backups, snapshots, schedules and storages (issue 12): the owner-scoped domain side.
export * from './scope';
export * from './list';
export * from './requests';
export * from './snapshots';
export * from './downloads';
export * from './schedules';
export * from './storages';
