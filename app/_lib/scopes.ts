import type { RouterInputs } from '@/app/_lib/trpc';

export type ApiScope = RouterInputs['apiKeys']['create']['scopes'][number];

// A Record over the server's scope enum: adding a scope there fails the type check here until it is described.
const SCOPES: Record<ApiScope, string> = {
  'catalog:read': 'Read plans, templates and node groups',
  'nodes:read': 'Read nodes',
  'ves:read': 'Read containers and tasks',
  'ves:write': 'Create, change, power and delete containers',
  'customers:read': 'Read customers',
  'customers:write': 'Create, update and delete customers',
  'webhooks:read': 'Read webhook endpoints',
  'webhooks:write': 'Add and delete webhook endpoints, rotate their secrets',
  'backups:read': 'Read backups of containers',
  'backups:write': 'Back up containers now and restore their backups',
};

export const API_KEY_SCOPES = Object.keys(SCOPES) as ApiScope[];
export const scopeDescription = (s: ApiScope) => SCOPES[s];
