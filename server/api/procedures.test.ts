import { describe, expect, it } from 'vitest';
import { appRouter } from './root';
import type { Meta } from './trpc';

// Every procedure declares who may call it, so an authorization matrix can be built from the router.
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta } }>);

describe('procedure metadata', () => {
  it('every procedure names its audience', () => {
    for (const [path, p] of procedures) expect([path, p._def.meta?.auth]).toEqual([path, expect.stringMatching(/^(public|authed|customer|admin|owner|apiKey)$/)]);
  });

  it('only the intended procedures are public', () => {
    const pub = procedures.filter(([, p]) => p._def.meta?.auth === 'public').map(([k]) => k).sort();
    expect(pub).toEqual(['auth.login', 'auth.logout', 'auth.me', 'auth.verifyTotp', 'health']);
  });

  it('every REST procedure is API-key protected with at least one scope', () => {
    const rest = procedures.filter(([, p]) => p._def.meta?.openapi);
    expect(rest.map(([k]) => k).sort()).toEqual([
      'billing.addAddress', 'billing.backupCreate', 'billing.backupRestore', 'billing.backups', 'billing.catalog', 'billing.changePlan', 'billing.consoleUrl', 'billing.create', 'billing.deleteCustomer', 'billing.get', 'billing.loginToken', 'billing.nodes', 'billing.power',
      'billing.reinstall', 'billing.removeAddress', 'billing.setAnchorDay', 'billing.setHostname', 'billing.setPassword', 'billing.status', 'billing.statusMany', 'billing.suspend', 'billing.task', 'billing.terminate', 'billing.unsuspend',
      'billing.upsertCustomer', 'billing.usage', 'billing.usageAll', 'billing.ves', 'billing.webhookCreate', 'billing.webhookDelete', 'billing.webhookRotate', 'billing.webhooks',
    ]);
    for (const [, p] of rest) {
      expect(p._def.meta).toMatchObject({ auth: 'apiKey', openapi: { protect: true } });
      expect(p._def.meta?.scopes?.length).toBeGreaterThan(0);
    }
  });
});
