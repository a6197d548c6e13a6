import { router } from '@/server/api/trpc';
import { list } from './list';
import { create } from './create';
import { update } from './update';
import { remove } from './remove';
import { deliveries } from './deliveries';

/** Webhooks for billing systems (admin only): CRUD and the delivery log. */
export const webhooksRouter = router({ list, create, update, remove, deliveries });
