// The node's CRIU (built by ./vz install where the packaged one fails) really dumps and restores,
// and what it reports about pre-dump matches the running kernel.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { criuAbilities, criuPath } from './bin';
import { criuStatus } from '../daemon/probe';

const kernelHas = (opt: string): boolean | undefined => {
  if (!existsSync('/proc/config.gz')) return undefined;
  return execFileSync('sh', ['-c', 'zcat /proc/config.gz'], { encoding: 'utf8' }).split('\n').includes(`${opt}=y`);
};

describe('CRIU on this node', () => {
  it('dumps and restores a throwaway process, and says whether pre-dump can work here', async () => {
    const bin = criuPath();
    expect(bin, 'run ./vz install: it provides a working CRIU').toBeDefined();
    const a = await criuAbilities(bin!);
    expect(a.version).toMatch(/^\d+\.\d+/);
    expect(a.dump).toBe(true);
    expect(a.restore).toBe(true);
    const soft = kernelHas('CONFIG_MEM_SOFT_DIRTY');
    if (soft !== undefined) expect(a.preDump).toBe(soft);
    if (!a.preDump) expect(a.notes.join('\n')).toMatch(/soft-dirty/);
    expect(a.networkLock).toBe('nftables');
  }, 120_000);

  it('hello reports CRIU usable with its version', async () => {
    const s = await criuStatus();
    expect(s).toMatchObject({ usable: true, dump: true, restore: true });
    expect(s.version).toMatch(/^\d+\.\d+/);
  }, 120_000);
});
