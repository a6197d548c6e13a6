import { router } from '@/server/api/trpc';
import { list } from './list';
import { prune } from './prune';
import { setEnabled } from './setEnabled';
import { sync } from './sync';
import { versions } from './versions';

export const templatesRouter = router({ list, setEnabled, versions, prune, sync });
