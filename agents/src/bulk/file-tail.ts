// The ends of a VE's output files, read after it finished (only the tails travel in events and results).
import { open } from 'node:fs/promises';

/** The first `head` and last `tail` bytes of a file as text ('' for a missing file). */
export async function fileEnds(file: string, head: number, tail: number): Promise<{ head: string; tail: string }> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return { head: '', tail: '' };
  try {
    const size = (await fh.stat()).size;
    const read = async (pos: number, len: number) => {
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      return buf.subarray(0, bytesRead);
    };
    if (size <= Math.max(head, tail)) {
      const all = size ? await read(0, size) : Buffer.alloc(0);
      return { head: all.subarray(0, head).toString('utf8'), tail: all.subarray(Math.max(0, size - tail)).toString('utf8') };
    }
    return {
      head: head ? (await read(0, head)).toString('utf8') : '',
      tail: tail ? (await read(size - tail, tail)).toString('utf8') : '',
    };
  } finally {
    await fh.close();
  }
}
