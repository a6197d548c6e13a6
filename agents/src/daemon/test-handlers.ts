import { appendFile, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineHandler, type AnyHandler } from './types';
import { testMemory } from './test-memory';

const countLines = async (file: string): Promise<string[]> =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

/** Test-only: waits, then appends a line. recover() looks at the file to tell whether it happened. */
const testAppend = defineHandler({
  method: 'test.append',
  veOf: (p) => p.ctid,
  async run(p, ctx) {
    ctx.progress(10, 'waiting');
    if (p.delayMs) await sleep(p.delayMs);
    await appendFile(p.file, `${p.line}\n`);
    ctx.progress(100, 'appended');
    return { lines: (await countLines(p.file)).length };
  },
  async recover(p) {
    const lines = await countLines(p.file);
    if (lines.includes(p.line)) return { outcome: 'done', result: { lines: lines.length } };
    return { outcome: 'failed', message: 'the line was never appended; nothing to clean up' };
  },
});

const testSleep = defineHandler({
  method: 'test.sleep',
  veOf: (p) => p.ctid,
  async run(p, ctx) {
    ctx.log(`sleeping ${p.ms} ms`);
    await sleep(p.ms);
    return { slept: p.ms };
  },
});

export const testHandlers: AnyHandler[] = [testAppend, testSleep, testMemory];
