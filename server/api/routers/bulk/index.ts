import { router } from '@/server/api/trpc';
import { preview } from './preview';
import { create } from './create';
import { get } from './get';
import { cancel } from './cancel';
import { rerunFailed } from './rerunFailed';
import { log } from './log';

export const bulkRouter = router({ preview, create, get, cancel, rerunFailed, log });
