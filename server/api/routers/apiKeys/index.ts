import { router } from '@/server/api/trpc';
import { list } from './list';
import { create } from './create';
import { revoke } from './revoke';

export const apiKeysRouter = router({ list, create, revoke });
