import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { importPublicKey } from '@/server/operations/imports';

/** The panel's import key: the line an admin adds to root's authorized_keys on an OpenVZ host (admin). */
export const importKey = adminProcedure
  .output(z.object({ publicKey: z.string() }))
  .query(() => ({ publicKey: importPublicKey() }));
