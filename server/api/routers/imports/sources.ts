import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { SourceOutput } from './schemas';

/** OpenVZ hosts to import from (admin). */
export const sources = adminProcedure
  .output(z.array(SourceOutput))
  .query(({ ctx }) => ctx.prisma.openvzSource.findMany({ orderBy: { name: 'asc' } }));
