import { router } from '@/server/api/trpc';
import { ve } from './ve';
import { veEvents } from './veEvents';
import { myVe } from './myVe';
import { myVeEvents } from './myVeEvents';
import { node } from './node';
import { policy } from './policy';
import { setPolicy } from './setPolicy';
import { quota } from './quota';
import { resetQuota } from './resetQuota';
import { myQuota } from './myQuota';

/** Usage history: graphs and the limit-events timeline (admin and owner-scoped portal). */
export const usageRouter = router({ ve, veEvents, myVe, myVeEvents, node, policy, setPolicy, quota, resetQuota, myQuota });
