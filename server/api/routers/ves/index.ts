import { router } from '@/server/api/trpc';
import { list } from './list';
import { get } from './get';
import { create } from './create';
import { power } from './power';
import { setLimits } from './setLimits';
import { setHostname } from './setHostname';
import { setPassword } from './setPassword';
import { reinstall } from './reinstall';
import { destroy } from './destroy';
import { stats } from './stats';
import { usage } from './usage';
import { migratePlan } from './migratePlan';
import { migrate } from './migrate';
import { drift } from './drift';
import { driftTake } from './driftTake';
import { driftPush } from './driftPush';

export const vesRouter = router({ list, get, create, power, setLimits, setHostname, setPassword, reinstall, destroy, stats, usage, migratePlan, migrate, drift, driftTake, driftPush });
