import { describe, expect, it } from 'vitest';
import { agentError, appCodeOf } from './errors';

describe('agent error mapping', () => {
  it('maps agent codes to panel codes', () => {
    expect(appCodeOf('VE_LOCKED')).toBe('BUSY');
    expect(appCodeOf('VE_EXISTS')).toBe('CONFLICT');
    expect(appCodeOf('IP_IN_USE')).toBe('CONFLICT');
    expect(appCodeOf('TEMPLATE_NOT_FOUND')).toBe('NOT_FOUND');
    expect(appCodeOf('VE_NOT_FOUND')).toBe('NOT_FOUND');
    expect(appCodeOf('BAD_PARAMS')).toBe('BAD_INPUT');
    expect(appCodeOf('NO_DISK_SPACE')).toBe('CAPACITY');
    expect(appCodeOf('SOMETHING_NEW')).toBe('INTERNAL');
  });

  it('keeps the agent code, message and data', () => {
    const e = agentError({ code: 'VE_LOCKED', message: "VE 101 is busy with 'create' (op a1)", data: { ve: 101 } }, { node: 'n1', method: 've.start', opId: 'o2' });
    expect(e.code).toBe('BUSY');
    expect(e.message).toBe("VE 101 is busy with 'create' (op a1)");
    expect(e.data).toEqual({ ve: 101, agentCode: 'VE_LOCKED', method: 've.start', node: 'n1', opId: 'o2' });
  });
});
