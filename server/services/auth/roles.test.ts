// Which staff role may do what: the table adminProcedure, ownerProcedure and the sign-in follow.
import { describe, expect, it } from 'vitest';
import { canMutate, canUseBrowser, staffRoleOf } from './roles';

describe('staff roles', () => {
  it('customers have none; a staff row without one is an admin', () => {
    expect(staffRoleOf({ role: 'customer', adminRole: 'owner' })).toBeNull();
    expect(staffRoleOf({ role: 'admin', adminRole: null })).toBe('admin');
    expect(staffRoleOf({ role: 'admin', adminRole: 'support' })).toBe('support');
  });

  it('owner and admin change things, support and billing do not; billing never uses the browser', () => {
    expect(['owner', 'admin', 'support', 'billing'].map((r) => [r, canMutate(r as never), canUseBrowser(r as never)])).toEqual([
      ['owner', true, true], ['admin', true, true], ['support', false, true], ['billing', false, false],
    ]);
    expect(canMutate(null)).toBe(false);
  });
});
