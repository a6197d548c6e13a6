import { z } from 'zod';
import { defineMethod } from '../define';
import { Ctid } from './ve';

/** Web console (issue 5): the byte stream itself is `vzagent console <ctid>` (agents/protocol/console.ts). */
export const consoleMethods = {
  'console.prepare': defineMethod({
    params: z.object({ ctid: Ctid }),
    result: z.object({ ctid: Ctid, lxcpath: z.string() }),
    mutating: false,
    description: 'checks the VE runs and says where its LXC container lives (for `vzagent console`)',
  }),
};
