// The `vzagent` bridge (the SSH forced command and the local transport's child), built, with a stream
// served on a unix socket: a reader that takes its time still gets every byte the daemon sent before it
// closed its side, and the bridge exits 0 (stdout to a pipe is asynchronous: an exit right at the
// daemon's end dropped what was still queued, the tail of a backup download and its exit frame).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'vz-cli-bridge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vzagent backup-export bridge', () => {
  it('hands a slow reader the whole stream after the daemon has closed its side', async () => {
    // 64 KiB fill the pipe to the reader; the 8 KiB after them wait in the bridge's stdout queue
    // (below the stream's high-water mark, so nothing pauses) when the daemon's side ends.
    const [body, tail] = [randomBytes(64 << 10), randomBytes(8 << 10)];
    const socket = path.join(dir, 'agent.sock');
    const headers: string[] = [];
    const server = net.createServer((c) => {
      let buf = '';
      c.on('data', (b: Buffer) => {
        if (headers.length) return;
        buf += b.toString('utf8');
        if (!buf.includes('\n')) return;
        headers.push(buf.slice(0, buf.indexOf('\n')));
        c.write('{"ok":true}\n');
        c.write(body);
        setTimeout(() => c.end(tail), 300);
      });
    });
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const token = 'T'.repeat(32);
      const out = path.join(dir, 'out');
      // The reader starts reading 2 s after the bridge started, long after the daemon's side ended.
      const script = '"$0" backup-export "$1" --socket "$2" | (sleep 2; cat > "$3"); exit ${PIPESTATUS[0]}';
      await promisify(execFile)('bash', ['-c', script, path.join(ROOT, 'agents', 'bin', 'vzagent'), token, socket, out]);
      expect(JSON.parse(headers[0])).toEqual({ stream: 'backup-export', token });
      expect(readFileSync(out).equals(Buffer.concat([body, tail]))).toBe(true);
    } finally {
      server.close();
    }
  });
});
