// LXCFS recovery: a mount left behind by a dead LXCFS must not pass for a working one.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../sys/exec';
import { ensureLxcfs, lxcfsAlive, lxcfsMounted } from './node-prereqs';

const base = await mkdtemp(join(tmpdir(), 'vz-lxcfs-'));
const mnt = join(base, 'mnt');

async function lxcfsPid(): Promise<number> {
  return Number((await readFile(`${mnt}.pid`, 'utf8')).trim());
}

afterAll(async () => {
  const pid = await lxcfsPid().catch(() => 0);
  if (pid > 0) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  while (await lxcfsMounted(mnt)) await run('umount', ['-l', mnt]);
  await rm(base, { recursive: true, force: true });
});

describe('ensureLxcfs', () => {
  it('starts LXCFS, and replaces a mount whose daemon was killed', async () => {
    // A plain folder that looks like LXCFS is not one (the check is statfs, not the mount table).
    await mkdir(join(mnt, 'proc'), { recursive: true });
    await writeFile(join(mnt, 'proc/meminfo'), 'MemTotal: 1 kB\n');
    expect(await lxcfsAlive(mnt)).toBe(false);
    await rm(join(mnt, 'proc'), { recursive: true });
    await ensureLxcfs(mnt);
    expect(await lxcfsAlive(mnt)).toBe(true);
    const first = await lxcfsPid();

    process.kill(first, 'SIGKILL');
    for (let i = 0; i < 50 && (await lxcfsAlive(mnt)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await lxcfsMounted(mnt)).toBe(true);
    expect(await lxcfsAlive(mnt)).toBe(false);

    await ensureLxcfs(mnt);
    expect(await lxcfsAlive(mnt)).toBe(true);
    expect(await lxcfsPid()).not.toBe(first);
    expect(await readFile(`${mnt}/proc/meminfo`, 'utf8')).toMatch(/^MemTotal:/);
  });
});
