import { router } from '@/server/api/trpc';
import { list } from './list';
import { create } from './create';
import { update } from './update';
import { remove } from './remove';
import { deliveries } from './deliveries';
import { redeliver } from './redeliver';
import { allowedNetworks, setAllowedNetworksProc } from './allowedNetworks';

/** Webhooks for billing systems (admin only): CRUD, the delivery log, and the address allow-list. */
export const webhooksRouter = router({ list, create, update, remove, deliveries, redeliver, allowedNetworks, setAllowedNetworks: setAllowedNetworksProc });
