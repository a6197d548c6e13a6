import { describe, expect, it } from 'vitest';
import { clampSize, encodeFrame, FrameDecoder, parseConsoleCommand, type ConsoleFrame } from './console';

describe('console frames', () => {
  const frames: ConsoleFrame[] = [
    { type: 'data', data: Buffer.from('echo $((6*7))\n') },
    { type: 'resize', cols: 100, rows: 30 },
    { type: 'ready', ctid: 50123 },
    { type: 'data', data: Buffer.alloc(0) },
    { type: 'exit', code: 0, signal: null },
    { type: 'error', code: 'VE_NOT_RUNNING', message: 'VE 50123 is not running' },
  ];

  it('round-trip through any chunking of the byte stream', () => {
    const bytes = Buffer.concat(frames.map(encodeFrame));
    for (const step of [1, 2, 3, 7, bytes.length]) {
      const d = new FrameDecoder();
      const out: ConsoleFrame[] = [];
      for (let i = 0; i < bytes.length; i += step) out.push(...d.push(bytes.subarray(i, i + step)));
      expect(out).toEqual(frames);
    }
  });

  it('clamps hostile sizes and refuses oversized or unknown frames', () => {
    expect(clampSize(Number.NaN, 0)).toEqual({ cols: 80, rows: 24 });
    expect(clampSize(1, -5)).toEqual({ cols: 2, rows: 1 });
    expect(clampSize(1e9, 1e9)).toEqual({ cols: 1000, rows: 500 });
    expect(new FrameDecoder().push(encodeFrame({ type: 'resize', cols: 70000, rows: 3 }))).toEqual([{ type: 'resize', cols: 1000, rows: 3 }]);
    const big = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff]);
    expect(() => new FrameDecoder().push(big)).toThrow(/too large/);
    expect(() => new FrameDecoder().push(Buffer.from([0x7f, 0, 0, 0, 0]))).toThrow(/unknown type/);
  });
});

describe('SSH_ORIGINAL_COMMAND for a console', () => {
  it('accepts exactly "vzagent console <ctid>"', () => {
    expect(parseConsoleCommand('vzagent console 50123')).toBe(50123);
    expect(parseConsoleCommand('vzagent console 100')).toBe(100);
  });
  it.each([
    undefined, '', 'vzagent rpc', 'vzagent console', 'vzagent console 99', 'vzagent console 0101', 'vzagent console 101 ',
    ' vzagent console 101', 'vzagent  console 101', 'vzagent console 101;id', 'vzagent console 101\nid', 'vzagent console -n',
    'vzagent console 101 --socket /tmp/x', 'vzagent console 99999999999', 'vzagent console 1e5', 'vzagent console $(id)',
  ])('refuses %j', (cmd) => {
    expect(parseConsoleCommand(cmd)).toBeNull();
  });
});
