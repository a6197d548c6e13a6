import { router } from '@/server/api/trpc';
import { addSource } from './addSource';
import { importKey } from './importKey';
import { listVes } from './listVes';
import { plan } from './plan';
import { probeSource } from './probeSource';
import { removeSource } from './removeSource';
import { run } from './run';
import { sources } from './sources';

/** The way in from OpenVZ (issue 16): sources, their VEs, dry run, import. */
export const importsRouter = router({ importKey, probeSource, addSource, sources, removeSource, listVes, plan, run });
