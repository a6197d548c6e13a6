import { z } from 'zod';

export const MeOutput = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(['admin', 'customer']),
  adminRole: z.enum(['owner', 'admin', 'support', 'billing']).nullable().describe('Staff rights; null for customers'),
  totpEnabled: z.boolean(),
});

export const TotpCode = z.string().trim().min(6).max(24).describe('6-digit code from the authenticator app, or a backup code');
