import { router } from '@/server/api/trpc';
import { list } from './list';
import { create } from './create';
import { restore } from './restore';
import { remove } from './remove';
import { downloadLink } from './downloadLink';
import { snapshots } from './snapshots';
import { snapshotCreate } from './snapshotCreate';
import { snapshotAction } from './snapshotAction';

/** The portal's backups and snapshots: only the user's own VEs (services/backups/scope). */
export const portalBackupsRouter = router({ list, create, restore, remove, downloadLink, snapshots, snapshotCreate, snapshotAction });
