import { router } from '@/server/api/trpc';
import { list } from './list';
import { get } from './get';
import { probeHostKey } from './probeHostKey';
import { add } from './add';
import { setMaintenance } from './setMaintenance';
import { remove } from './remove';
import { clearHostKeyMismatch } from './clearHostKeyMismatch';
import { evacuate } from './evacuate';
import { page } from './page';
import { evacuation } from './evacuation';

export const nodesRouter = router({ list, get, probeHostKey, add, setMaintenance, remove, clearHostKeyMismatch, evacuate, page, evacuation });
