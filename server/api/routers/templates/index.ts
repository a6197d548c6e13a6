import { router } from '@/server/api/trpc';
import { list } from './list';
import { setEnabled } from './setEnabled';

export const templatesRouter = router({ list, setEnabled });
