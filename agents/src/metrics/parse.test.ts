// The byte parsers of kernel counter files give what the string parsers they replaced gave, on
// real kernel text and on any text at all (the string versions are kept here as the reference).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBlkio, parseIoStat, parseKv, parseMountedIds, parseNum, parseVethDev } from './parse';

// The previous parsers (string split / Number), verbatim in behaviour.
const ref = {
  num: (s: string) => { const v = Number(s.trim()); return Number.isFinite(v) ? v : undefined; },
  kv: (s: string, key: string) => {
    const m = new Map<string, number>();
    if (s) for (const line of s.split('\n')) { const sp = line.indexOf(' '); if (sp > 0) m.set(line.slice(0, sp), Number(line.slice(sp + 1))); }
    return m.get(key);
  },
  blkio: (s: string) => {
    let read = 0, write = 0;
    for (const line of s.split('\n')) { const [, op, v] = line.split(' '); if (op === 'Read') read += Number(v); else if (op === 'Write') write += Number(v); }
    return { read, write };
  },
  io: (s: string) => {
    const t = { rbytes: 0, wbytes: 0, rios: 0, wios: 0 };
    for (const line of s.split('\n')) for (const f of line.split(' ').slice(1)) { const [k, v] = f.split('='); if (Object.hasOwn(t, k)) t[k as keyof typeof t] += Number(v); }
    return t;
  },
  netDev: (s: string) => {
    const out = new Map<string, number[]>();
    for (const line of s.split('\n').slice(2)) {
      const colon = line.indexOf(':');
      if (colon >= 0) out.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim().split(/\s+/).map(Number));
    }
    return out;
  },
};

const NETDEV_HEAD = 'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
// One line as the kernel prints it ("%6s:%8llu %7llu ..." and so on).
const devLine = (name: string, f: bigint[]) => `${name.padStart(6)}: ${f.map((v, i) => String(v).padStart(i === 0 || i === 8 ? 8 : 7)).join(' ')}\n`;
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
const escape = (s: string) => s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

// A dirty shared buffer, as the sampler's is: only the first `len` bytes may count.
function inBuf(s: string): [Buffer, number] {
  const b = Buffer.alloc(s.length + 64, 'Read 7\n9 x=1 rbytes=5 max 3\n');
  const len = b.write(s, 0, 'latin1');
  return [b, len];
}
function same(a: unknown, b: unknown) {
  expect(Object.is(a, b) || JSON.stringify(a) === JSON.stringify(b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(true);
}

const digits = fc.oneof(fc.nat().map(String), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String));
// Text built from the pieces kernel files are made of, so the properties reach the interesting lines.
const piece = fc.constantFrom(' ', '\n', '\n', '=', 'Read', 'Write', 'Total', 'max', 'oom_kill', 'rbytes', 'wbytes', 'rios', 'wios', '8:0', 'x', '\t', '-', '.', 'e', '1');
const textish = fc.array(fc.oneof(piece, digits), { maxLength: 40 }).map((a) => a.join(''));
const anyText = fc.oneof(textish, fc.string({ unit: 'binary-ascii', maxLength: 60 }));

describe('counter file parsers', () => {
  it('read real kernel text', () => {
    const cpu = 'nr_periods 1200\nnr_throttled 31\nthrottled_time 4021133344\nnr_bursts 0\nburst_time 0\n';
    expect(parseKv(...inBuf(cpu), Buffer.from('nr_throttled'))).toBe(31);
    expect(parseKv(...inBuf(cpu), Buffer.from('throttled_time'))).toBe(4021133344);
    expect(parseKv(...inBuf(cpu), Buffer.from('nr_throttle'))).toBeUndefined();
    expect(parseKv(...inBuf('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n'), Buffer.from('oom_kill'))).toBe(2);
    expect(parseBlkio(...inBuf('7:3 Read 4096\n7:3 Write 81920\n7:3 Sync 0\n7:3 Total 86016\n8:0 Read 1\n8:0 Write 2\nTotal 86019\n'))).toEqual({ read: 4097, write: 81922 });
    expect(parseBlkio(...inBuf('Total 0\n'))).toEqual({ read: 0, write: 0 });
    expect(parseIoStat(...inBuf('7:3 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n8:0 rbytes=1 wbytes=1 rios=1 wios=1 dbytes=9 dios=9\n'))).toEqual({ rbytes: 4097, wbytes: 8193, rios: 2, wios: 3 });
    expect(parseNum(...inBuf('123456789012\n'))).toBe(123456789012);
    expect(parseNum(...inBuf('max\n'))).toBeUndefined();
    // Past 15 digits the value is Number()'s correctly rounded one, never an accumulated approximation.
    expect(parseNum(...inBuf('18446744073709551615\n'))).toBe(Number('18446744073709551615'));
  });

  it('parseNum gives what Number(text.trim()) gave', () => {
    fc.assert(fc.property(fc.oneof(digits.map((d) => `${d}\n`), anyText), (s) => same(parseNum(...inBuf(s)), ref.num(s))), { numRuns: 3000 });
  });

  it('parseKv gives what the key/value map gave', () => {
    const key = fc.constantFrom('max', 'oom_kill', 'nr_throttled', 'x', 'Read');
    fc.assert(fc.property(anyText, key, (s, k) => same(parseKv(...inBuf(s), Buffer.from(k)), ref.kv(s, k))), { numRuns: 3000 });
  });

  it('parseBlkio gives what the line split gave', () => {
    fc.assert(fc.property(anyText, (s) => same(parseBlkio(...inBuf(s)), ref.blkio(s))), { numRuns: 3000 });
  });

  it('parseIoStat gives what the field split gave', () => {
    fc.assert(fc.property(anyText, (s) => same(parseIoStat(...inBuf(s)), ref.io(s))), { numRuns: 3000 });
  });

  it('parseVethDev gives each veth<ctid> what the line split gave, and nothing else', () => {
    const name = fc.oneof(fc.integer({ min: 0, max: 999_999_999 }).map((n) => `veth${n}`), fc.constantFrom('lo', 'eth0', 'vzbr0', 'veth', 'veth01', 'vethx1', 'veth1.1', 'ifb0'));
    const counter = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    const line = fc.tuple(name, fc.array(counter, { minLength: 16, maxLength: 16 }));
    fc.assert(fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
      const text = NETDEV_HEAD + lines.map(([n, f]) => devLine(n, f)).join('');
      const got = parseVethDev(...inBuf(text));
      const want = ref.netDev(text);
      for (const [n] of lines) {
        const m = /^veth([1-9]\d*|0)$/.exec(n);
        const r = want.get(n)!;
        if (m) expect(got.get(Number(m[1]))).toEqual({ rxBytes: r[0], rxPackets: r[1], txBytes: r[8], txPackets: r[9] });
      }
      expect(got.size).toBe([...want.keys()].filter((n) => /^veth([1-9]\d*|0)$/.test(n)).length);
    }), { numRuns: 500 });
  });

  it('parseMountedIds finds the numbered mount points under a folder, escaped as the kernel writes them', () => {
    const line = (mp: string) => `36 35 98:0 / ${escape(mp)} rw,noatime master:1 - ext4 /dev/loop3 rw\n`;
    const under = fc.constantFrom('/var/lib/vz/root', '/tmp/vz rt-1/root', '/a\\b/root', '/t\tab/root');
    const leaf = fc.oneof(fc.integer({ min: 0, max: 999_999_999 }).map(String), fc.constantFrom('', '01', 'x', '12a', '1/2', '1234567890'));
    fc.assert(fc.property(under, fc.array(fc.tuple(fc.boolean(), leaf), { maxLength: 20 }), (dir, mounts) => {
      const points = mounts.map(([inside, l]) => (inside ? `${dir}/${l}` : `/elsewhere/${l}`));
      const text = points.map(line).join('');
      const want = new Set(text.split('\n').map((l) => unescape(l.split(' ')[4] ?? '')).filter((p) => p.startsWith(`${dir}/`) && /^([1-9]\d{0,8}|0)$/.test(p.slice(dir.length + 1))).map((p) => Number(p.slice(dir.length + 1))));
      expect(parseMountedIds(...inBuf(text), dir)).toEqual(want);
    }), { numRuns: 1000 });
  });
});
