import { describe, expect, it } from 'vitest';
import { AppError } from '@/server/errors';
import { changePlan } from './changePlan';
import { effectiveLimits, type Limits } from './limits';

const small: Limits & { id: string } = { id: 'small', ram: 1024, swap: 512, diskspace: 10240, diskinodes: 200000, cpuunits: 1000, cpulimit: 100, cpus: 1, numproc: 512, ioprio: 4, iolimit: 0, iopslimit: 0, bandwidth: 100 };
const big = { ...small, id: 'big', ram: 4096, diskspace: 40960, cpus: 4, cpulimit: 400 };

describe('plans', () => {
  it('effective limits are the plan with overrides on top', () => {
    expect(effectiveLimits(small, { ram: 2048 }).ram).toBe(2048);
    expect(effectiveLimits(small, {}).swap).toBe(512);
  });
  it('refuses out-of-range values naming the field', () => {
    expect(() => effectiveLimits(small, { cpuunits: 7 })).toThrow(/overrides.cpuunits/);
    expect(() => effectiveLimits(small, { ioprio: 8 })).toThrow(AppError);
    expect(() => effectiveLimits(small, { cpulimit: 300 })).toThrow(/cpulimit/);
    expect(() => effectiveLimits(small, { ram2: 1 } as never)).toThrow(AppError);
  });
  it('a plan change keeps paid overrides unless explicitly replaced', () => {
    const ve = { ctid: 101, state: 'running' as const, overrides: { bandwidth: 1000, numproc: 2048 }, limits: effectiveLimits(small, { bandwidth: 1000, numproc: 2048 }) };
    const r = changePlan(ve, big, { numproc: null, swap: 2048 });
    expect(r.overrides).toEqual({ bandwidth: 1000, swap: 2048 });
    expect(r.limits).toMatchObject({ ram: 4096, bandwidth: 1000, numproc: 512, swap: 2048 });
    expect(r.changes.map((c) => c.field).sort()).toEqual(['cpulimit', 'cpus', 'diskspace', 'numproc', 'ram', 'swap']);
    expect(r.needsRestart).toEqual([]);
    expect(r.refused).toEqual([]);
  });
  it('a disk shrink is refused while running, allowed when stopped', () => {
    const running = { ctid: 102, state: 'running' as const, overrides: {}, limits: effectiveLimits(big) };
    const r = changePlan(running, small);
    expect(r.refused).toEqual([expect.objectContaining({ field: 'diskspace', reason: expect.stringMatching(/shrink .* refused while VE 102 is running/) })]);
    expect(changePlan({ ...running, state: 'stopped' }, small).refused).toEqual([]);
  });
  it('a disk grow on a running VE needs a restart where the node cannot grow a mounted disk, and says so', () => {
    const running = { ctid: 103, state: 'running' as const, overrides: {}, limits: effectiveLimits(small) };
    expect(changePlan(running, big, {}, { diskGrowOnline: false }).needsRestart).toEqual(['diskspace']);
    expect(changePlan(running, big, {}, { diskGrowOnline: true }).needsRestart).toEqual([]);
    expect(changePlan({ ...running, state: 'stopped' }, big, {}, { diskGrowOnline: false }).needsRestart).toEqual([]);
  });
  it('refuses an inode count change in the preview (ext4 fixes it at mkfs) and names the way to keep it', () => {
    const ve = { ctid: 104, state: 'stopped' as const, overrides: {}, limits: effectiveLimits(small) };
    const r = changePlan(ve, { ...big, diskinodes: 400000 });
    expect(r.refused).toEqual([{ field: 'diskinodes', reason: expect.stringMatching(/fixed .* keep 200000 with overrides.diskinodes = 200000/) }]);
    expect(changePlan(ve, { ...big, diskinodes: 400000 }, { diskinodes: 200000 }).refused).toEqual([]);
  });
});
