import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { processEnding, processExited, procStat } from './proc-stat';

describe('processEnding / processExited', () => {
  it('a live process is not ending; a gone pid is', async () => {
    expect(await processEnding(process.pid)).toBe(false);
    expect(await processEnding(2 ** 22 + 7)).toBe(true);
  });

  it('an unreaped child (a zombie) is ending', async () => {
    // The shell becomes `sleep 30` and never waits for its `sleep 0`, which stays a zombie.
    const parent = spawn('/bin/sh', ['-c', 'sleep 0 & exec sleep 30'], { stdio: 'ignore' });
    try {
      let zombie: number | undefined;
      for (let i = 0; i < 100 && zombie === undefined; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const kids = (await readFile(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number);
        for (const k of kids) if ((await procStat(k))?.[0] === 'Z') zombie = k;
      }
      expect(zombie).toBeDefined();
      expect(await processEnding(zombie!)).toBe(true);
      expect(await processExited(zombie!)).toBe(true);
      expect(await processEnding(parent.pid!)).toBe(false);
      expect(await processExited(parent.pid!)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
