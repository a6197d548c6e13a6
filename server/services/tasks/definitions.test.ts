import { describe, expect, it } from 'vitest';
import { isTaskType, parseTaskParams, TASKS } from './definitions';

describe('task definitions', () => {
  it('parse the params a service queues and refuse ones that do not match, naming the field', () => {
    expect(parseTaskParams('ve.set', { ctid: 101, hostname: 'web1' }, 'new task')).toEqual({ ctid: 101, hostname: 'web1' });
    expect(() => parseTaskParams('ve.set', { ctid: 101, passwordHash: 'clear-text' }, 'new task')).toThrow(/passwordHash/);
    expect(() => parseTaskParams('ve.migrated.cleanup', { ctid: 101 }, 'task t1')).toThrow(/task t1 \(ve.migrated.cleanup\).*nodeId/);
    // A key the definition does not name: dropped when reading an old row, refused when queueing a new task.
    expect(parseTaskParams('ve.start', { ctid: 101, extra: 1 }, 'task t2')).toEqual({ ctid: 101 });
    expect(() => parseTaskParams('ve.start', { ctid: 101, extra: 1 }, 'new task', { strict: true })).toThrow(/extra/);
  });

  it('know every type the panel queues, and nothing else', () => {
    expect(isTaskType('ve.create')).toBe(true);
    expect(isTaskType('toString')).toBe(false);
    expect(Object.keys(TASKS)).toEqual(expect.arrayContaining(['ve.create', 've.migrate', 'node.bootstrap', 'bulk.run', 've.billing.suspend']));
  });
});
