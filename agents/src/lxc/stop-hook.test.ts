import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { veStopHookPath } from '../sys/paths';
import { clearRebootNote, ensureStopHook, rebootNotesDir } from './stop-hook';

const dirs: string[] = [];
const tmpVzroot = () => { const d = mkdtempSync(path.join(os.tmpdir(), 'vz-hook-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

/** Runs the hook as LXC does after a stop: its environment names the VE and why it stopped. */
const runHook = (vzroot: string, env: Record<string, string>) =>
  execFileSync(veStopHookPath(vzroot), [env.LXC_NAME ?? '', 'lxc', 'post-stop'], { env: { ...process.env, LXC_TARGET: '', LXC_NAME: '', ...env } });

describe('the post-stop hook', () => {
  it('is written once for starts that ask at the same time, executable, with no temporary file left', async () => {
    const vzroot = tmpVzroot();
    await Promise.all(Array.from({ length: 8 }, () => ensureStopHook(vzroot)));
    expect(statSync(veStopHookPath(vzroot)).mode & 0o777).toBe(0o700);
    expect(readdirSync(path.dirname(veStopHookPath(vzroot)))).toEqual(['ve-stopped']);
  });

  it('leaves a note only for a VE that asked for a reboot, and only for a numeric name', async () => {
    const vzroot = tmpVzroot();
    await ensureStopHook(vzroot);
    runHook(vzroot, { LXC_TARGET: 'stop', LXC_NAME: '101' });
    runHook(vzroot, { LXC_TARGET: 'reboot', LXC_NAME: '../x' });
    runHook(vzroot, { LXC_TARGET: 'reboot', LXC_NAME: '' });
    expect(readdirSync(rebootNotesDir(vzroot))).toEqual([]);
    runHook(vzroot, { LXC_TARGET: 'reboot', LXC_NAME: '102' });
    expect(readdirSync(rebootNotesDir(vzroot))).toEqual(['102']);
    await clearRebootNote(vzroot, 102);
    expect(existsSync(path.join(rebootNotesDir(vzroot), '102'))).toBe(false);
  });
});
