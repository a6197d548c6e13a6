import { z } from 'zod';

export const StaffIdInput = z.object({ id: z.string().min(1).max(64) });
export const StaffOutput = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  adminRole: z.enum(['owner', 'admin', 'support', 'billing']),
  disabled: z.boolean(),
  totpEnabled: z.boolean(),
  lastLoginAt: z.date().nullable(),
  createdAt: z.date(),
});
