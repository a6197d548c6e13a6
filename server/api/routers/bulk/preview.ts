import { adminProcedure } from '@/server/api/trpc';
import { previewBulk } from '@/server/services/bulk/select';
import { PreviewInput } from './schemas';

/** The exact VEs a bulk job with this selector would act on now (and which the action would skip). */
export const preview = adminProcedure
  .input(PreviewInput)
  .query(({ ctx, input }) => previewBulk(ctx.prisma, input));
