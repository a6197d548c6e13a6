// Scopes a billing API key can carry; must match the server's list (apiKeys.create input).
export const API_KEY_SCOPES = ['ves:read', 'ves:write', 'customers:write', 'catalog:read', 'tasks:read'] as const;
