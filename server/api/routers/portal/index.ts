import { router } from '@/server/api/trpc';
import { myVes } from './myVes';
import { ve } from './ve';
import { usage } from './usage';
import { power } from './power';
import { reinstall } from './reinstall';
import { setPassword } from './setPassword';
import { setHostname } from './setHostname';
import { tasks } from './tasks';
import { beancounters } from './beancounters';
import { sshKeys } from './sshKeys';
import { addSshKey } from './addSshKey';
import { removeSshKey } from './removeSshKey';
import { portalBackupsRouter } from '../portalBackups';

/** The customer portal: every procedure is owner-scoped on the server (services/portal, ownerScope). */
export const portalRouter = router({ myVes, ve, usage, power, reinstall, setPassword, setHostname, tasks, beancounters, sshKeys, addSshKey, removeSshKey, backups: portalBackupsRouter });
