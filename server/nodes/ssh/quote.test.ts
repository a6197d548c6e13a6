import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { shQuote, shCommand } from './quote';

// Ask a real /bin/sh to split the quoted line back into argv (printf one word per line, NUL-separated).
function roundTrip(argv: string[]): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${argv.map(shQuote).join(' ')}`]);
  return out.toString('utf8').split('\0').slice(0, -1);
}

describe('shQuote', () => {
  it('wraps plain words in single quotes', () => {
    expect(shQuote('abc')).toBe("'abc'");
    expect(shQuote('')).toBe("''");
  });

  it('escapes embedded single quotes', () => {
    expect(shQuote("it's")).toBe("'it'\\''s'");
  });

  it('passes hostile strings to a real shell as one literal word each', () => {
    const nasty = ["a'b", '$(id)', '`id`', '; rm -rf /', 'x\ny', '"q"', '\\', "''", '$HOME', '*', 'a b\tc', "'; echo pwned; '", 'üñí'];
    expect(roundTrip(nasty)).toEqual(nasty);
  });

  // One shell for all 200 words: a shell per word timed out on a loaded 2-core CI machine.
  it('round-trips random strings', () => {
    const words = Array.from({ length: 200 }, () => {
      const len = Math.floor(Math.random() * 20);
      let s = '';
      for (let j = 0; j < len; j++) s += String.fromCharCode(1 + Math.floor(Math.random() * 126));
      return s;
    });
    expect(roundTrip(words)).toEqual(words);
  });

  it('refuses NUL bytes', () => {
    expect(() => shQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('shCommand', () => {
  it('quotes the program and every argument', () => {
    expect(shCommand(['mkdir', '-p', '/opt/vz panel'])).toBe("'mkdir' '-p' '/opt/vz panel'");
  });
  it('refuses an empty argv', () => {
    expect(() => shCommand([])).toThrow();
  });
});
