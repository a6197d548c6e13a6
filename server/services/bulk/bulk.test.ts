import { describe, expect, it } from 'vitest';
import { aptUpdateScript } from '@/server/operations/bulk/exec-batch';
import { assignBatches } from './jobs';
import { BulkAction, BulkSelector } from './schemas';
import { selectorWhere, skipReason } from './select';

describe('bulk rollout', () => {
  it('puts the canary in batch 0, then batches of batchSize', () => {
    expect(assignBatches(12, { canarySize: 3, batchSize: 4 })).toEqual([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3]);
    expect(assignBatches(4, { canarySize: 0, batchSize: 0 })).toEqual([1, 1, 1, 1]);
    expect(assignBatches(2, { canarySize: 5, batchSize: 2 })).toEqual([0, 0]);
  });
});

describe('bulk selection', () => {
  it('refuses an empty selector (it would mean every VE)', () => {
    expect(BulkSelector.safeParse({}).success).toBe(false);
    expect(BulkSelector.safeParse({ tags: ['web'] }).success).toBe(true);
  });
  it('ANDs the filters', () => {
    expect(selectorWhere({ nodeIds: ['n1'], states: ['running'], os: ['debian'] })).toEqual({
      AND: [{ nodeId: { in: ['n1'] } }, { template: { os: { in: ['debian'] } } }, { state: { in: ['running'] } }],
    });
  });
  it('skips package updates where there is no package manager', () => {
    const pkg = BulkAction.parse({ type: 'packageUpdate' });
    expect(skipReason({ template: { name: 'busybox', os: 'busybox' } }, pkg)).toBe('busybox template: no package manager');
    expect(skipReason({ template: { name: 'debian-12', os: 'debian' } }, pkg)).toBeUndefined();
    expect(skipReason({ template: { name: 'busybox', os: 'busybox' } }, BulkAction.parse({ type: 'script', script: 'true' }))).toBeUndefined();
  });
});

describe('package update script', () => {
  it('uses the node cache as apt proxy and only validated package names', () => {
    const s = aptUpdateScript('http://10.199.1.1:3142/', true, ['hello', 'curl']);
    expect(s).toContain('apt-get -o Acquire::http::Proxy=http://10.199.1.1:3142/ -q update');
    expect(s).toContain('install hello curl');
    expect(BulkAction.safeParse({ type: 'packageUpdate', packages: ['x; rm -rf /'] }).success).toBe(false);
  });
});
