/**
 * Feature names reported in `hello.capabilities.features`. The panel checks a name before using
 * the verb or field it stands for, so protocol changes stay additive (STYLE.md habit 11).
 */
export const FEATURES = {
  /** Mutating calls with an opId are journaled; a repeat returns the recorded result. */
  opJournal: 'op-journal',
  /** Mutating calls on one VE are serialised; overlap -> VE_LOCKED. */
  veLocks: 've-locks',
  /** progress/log notifications carry requestId + opId. */
  progress: 'progress',
  /** Interrupted operations can be settled by the handler's recover(). */
  opRecover: 'op-recover',
  /** A running VE's disk grows at once (online resize2fs); absent = the grow waits for the next start. */
  diskGrowOnline: 'disk-grow-online',
  /** ve.set `bandwidth` is enforced with tc on the host veth (both directions); ve.throttle and ve.shaping exist. */
  tcShaping: 'tc-shaping',
  /** ve.checkpoint / ve.restore work: CRIU dumps and restores here and VEs have no console (issue 13). */
  criuCheckpoint: 'criu-checkpoint',
  /** migrate.checkpoint / migrate.restoreSource / commitTarget{restore}: online migration with CRIU. */
  criuMigrate: 'criu-migrate',
  /** ve.backup.* and backup.repo.* work (restic is installed); see methods/backup.ts. */
  veBackup: 've-backup',
  /** ve.snapshot.* (local restore points). */
  veSnapshot: 've-snapshot',
  /** Point-in-time copies are reflinks (pause in ms); absent = sparse copies while frozen. */
  reflinkCopy: 'reflink-copy',
  /** ve.list{since} answers only the VEs changed since a cursor (full list when the cursor is unknown). */
  veListDelta: 've-list-delta',
  /** template.recipes exists and template.build takes any of its names (debian-11, debian-13...), not only busybox/debian-12. */
  templateRecipes: 'template-recipes',
  /** template.receive.* (the panel pushes a template into the cache) and template.read exist. */
  templateReceive: 'template-receive',
  /** migrate.send{track, changedOnly}: the final pass sends only what changed since the first (rsync --files-from), and the receiver accepts it. */
  migrateChangedOnly: 'migrate-changed-only',
  /** migrate.armFinal: the final pass's rsync and the target's receiver start before the freeze; stopSource and commitTarget skip their process start-ups. */
  migratePrepared: 'migrate-prepared-pause',
} as const;

export type FeatureName = (typeof FEATURES)[keyof typeof FEATURES];
/** Features every agent of this version has; the others depend on the host and are probed. */
export const CORE_FEATURES: FeatureName[] = [FEATURES.opJournal, FEATURES.veLocks, FEATURES.progress, FEATURES.opRecover, FEATURES.tcShaping, FEATURES.veListDelta, FEATURES.templateRecipes, FEATURES.templateReceive, FEATURES.migrateChangedOnly, FEATURES.migratePrepared];

/** Storage backend names in `hello.capabilities.storage`. */
export const STORAGE_BACKENDS = ['ext4-image', 'dir'] as const;
export type StorageBackend = (typeof STORAGE_BACKENDS)[number];
