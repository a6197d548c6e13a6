import { describe, expect, it } from 'vitest';
import { AppError } from '@/server/errors';
import { forgetHeld, heldRecently, isTemplateMissing, rememberHeld } from './template-held';

describe('recently held templates', () => {
  it('trusts a node\'s template for 30 s, per node and name, until forgotten', () => {
    const t = 1_000_000;
    expect(heldRecently('h172-n1', 'busybox', t)).toBe(false);
    rememberHeld('h172-n1', 'busybox', t);
    expect(heldRecently('h172-n1', 'busybox', t + 29_999)).toBe(true);
    expect(heldRecently('h172-n1', 'busybox', t + 30_000)).toBe(false);
    expect(heldRecently('h172-n2', 'busybox', t)).toBe(false);
    expect(heldRecently('h172-n1', 'debian-12', t)).toBe(false);
    forgetHeld('h172-n1', 'busybox');
    expect(heldRecently('h172-n1', 'busybox', t + 1)).toBe(false);
  });

  it('knows the agent\'s TEMPLATE_NOT_FOUND from other errors', () => {
    expect(isTemplateMissing(new AppError('NOT_FOUND', 'x', { agentCode: 'TEMPLATE_NOT_FOUND' }))).toBe(true);
    expect(isTemplateMissing(new AppError('NOT_FOUND', 'x', { agentCode: 'VE_NOT_FOUND' }))).toBe(false);
    expect(isTemplateMissing(new Error('TEMPLATE_NOT_FOUND'))).toBe(false);
  });
});
