import { router } from '@/server/api/trpc';
import { list } from './list';
import { create } from './create';
import { restore } from './restore';
import { restoreNew } from './restoreNew';
import { forget } from './forget';
import { drill } from './drill';
import { downloadLink } from './downloadLink';
import { storages } from './storages';
import { storageProbe } from './storageProbe';
import { storageAdd } from './storageAdd';
import { storageCheck } from './storageCheck';
import { storageRemove } from './storageRemove';
import { schedules } from './schedules';
import { scheduleSet } from './scheduleSet';
import { scheduleRemove } from './scheduleRemove';
import { snapshots } from './snapshots';
import { snapshotCreate } from './snapshotCreate';
import { snapshotAction } from './snapshotAction';

/** Backups, snapshots, schedules and backup storages (admin). */
export const backupsRouter = router({
  list, create, restore, restoreNew, forget, drill, downloadLink,
  storages, storageProbe, storageAdd, storageCheck, storageRemove,
  schedules, scheduleSet, scheduleRemove,
  snapshots, snapshotCreate, snapshotAction,
});
