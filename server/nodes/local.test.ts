// The local transport's streams with a real child process in the agent's place: what the child wrote
// before it exited reaches a reader that was paused (backpressure) when it exited.
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalTransport } from './local';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vz-local-transport-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('local transport', () => {
  it('delivers a download\'s tail and end to a reader paused when the agent process exited', async () => {
    const bin = path.join(dir, 'fake-vzagent');
    // A first chunk, then 40 KB and an end marker: small enough to sit in the pipe and stream buffers
    // once the process has exited.
    writeFileSync(bin, '#!/bin/sh\nprintf first\nsleep 0.2\nhead -c 40000 /dev/zero\nprintf END\n');
    chmodSync(bin, 0o755);
    const t = new LocalTransport({ socket: path.join(dir, 'none.sock'), agentBin: bin });
    const ch = await t.openBackupExportStream('A'.repeat(32));
    const chunks: Buffer[] = [];
    let paused = false;
    const ended = new Promise<void>((resolve) => ch.stream.on('end', resolve));
    const closed = new Promise<void>((resolve) => ch.stream.on('close', resolve));
    ch.stream.on('data', (b: Buffer) => {
      chunks.push(b);
      if (!paused) { paused = true; ch.stream.pause(); }
    });
    // Hold the reader well past the process's exit, then read on.
    await new Promise((r) => setTimeout(r, 1500));
    ch.stream.resume();
    await ended;
    await closed;
    const all = Buffer.concat(chunks).toString('latin1');
    expect(all.length).toBe(5 + 40000 + 3);
    expect(all.startsWith('first')).toBe(true);
    expect(all.endsWith('END')).toBe(true);
    await t.close();
  });
});
