import { z } from 'zod';
import { API_SCOPES } from '@/server/services/auth/apiKeys';

export const Scope = z.enum(API_SCOPES);

export const ApiKeyOutput = z.object({
  id: z.string(),
  name: z.string(),
  /** Public part, safe to show: `vzk_<prefix>`. */
  prefix: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

interface Row {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export function toApiKeyOutput(k: Row): z.infer<typeof ApiKeyOutput> {
  return {
    id: k.id,
    name: k.name,
    prefix: `vzk_${k.prefix}`,
    scopes: k.scopes,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
