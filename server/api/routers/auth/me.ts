import { publicProcedure } from '@/server/api/trpc';
import { MeOutput } from './schemas';

/** The signed-in user, or null (public so the login page can ask without an error). */
export const me = publicProcedure.output(MeOutput.nullable()).query(({ ctx }) => {
  if (!ctx.user) return null;
  const { id, email, name, role, adminRole, totpEnabled } = ctx.user;
  return { id, email, name, role, adminRole, totpEnabled };
});
