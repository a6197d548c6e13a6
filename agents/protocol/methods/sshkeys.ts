import { z } from 'zod';
import { defineMethod } from '../define';
import { Ctid } from './ve';

/** One authorized_keys line: no line breaks or NULs (options, type, base64 body, comment). */
export const AuthorizedKeyLine = z.string().min(1).max(16_384).regex(/^[^\n\r\0]+$/, 'one line');

export const sshKeyMethods = {
  've.sshkeys': defineMethod({
    params: z.object({
      ctid: Ctid,
      add: z.array(AuthorizedKeyLine).max(64).default([]).describe('lines to append unless the same key (type and body) is there'),
      remove: z.array(AuthorizedKeyLine).max(64).default([]).describe('keys to drop (matched by type and body, not comment or options)'),
    }),
    result: z.object({ ctid: Ctid, keys: z.array(z.string()).describe('the key lines of /root/.ssh/authorized_keys afterwards'), live: z.boolean() }),
    mutating: true,
    description: "Add/remove keys in the VE's /root/.ssh/authorized_keys (running: as the VE's root; stopped: through its mount). Lines it was not asked about stay.",
  }),
};
