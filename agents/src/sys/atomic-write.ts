// Whole-file writes that a reader (LXC, the daemon after a crash) never sees half done.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes `text` to a temporary name beside `file` (its folder made 0700 if missing), then renames it over. */
export async function atomicWrite(file: string, text: string, mode: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode });
  await rename(tmp, file);
}
