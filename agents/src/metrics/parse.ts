// Parsers of kernel counter files straight from the bytes read (no string, array or map per
// file): the sampler reads ~11 files per VE every pass, so at 1,000 VEs the garbage adds up.
// Each gives what Number() of the same text would; anything unusual falls back to exactly that.

const SP = 0x20;
const NL = 0x0a;
const EQ = 0x3d;
const isSpace = (c: number) => c === SP || c === NL || c === 0x09 || c === 0x0d;

/** Number() of the latin1 text b[start, end), with a fast path for up to 15 plain digits (exact in a double). */
export function num(b: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n > 0 && n <= 15) {
    let v = 0;
    let i = start;
    for (; i < end; i++) {
      const d = b[i] - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === end) return v;
  }
  return Number(Buffer.from(b.buffer, b.byteOffset + start, n).toString('latin1'));
}

/** A file holding one integer (memory.current, pids.current): undefined for "max", empty or junk. */
export function parseNum(b: Uint8Array, len: number): number | undefined {
  let s = 0;
  let e = len;
  while (s < e && isSpace(b[s])) s++;
  while (e > s && isSpace(b[e - 1])) e--;
  const v = s === e ? 0 : num(b, s, e);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * The value of `key` in a file of `key value` lines (cpu.stat, memory.oom_control, pids.events,
 * memory.events); undefined when no line has it. The last such line wins.
 */
export function parseKv(b: Uint8Array, len: number, key: Uint8Array): number | undefined {
  let out: number | undefined;
  for (let i = 0; i < len;) {
    const eol = find(b, NL, i, len);
    const sp = find(b, SP, i, eol);
    if (sp > i && sp < eol && sp - i === key.length && sameBytes(b, i, key)) out = num(b, sp + 1, eol);
    i = eol + 1;
  }
  return out;
}

/** blkio.throttle.io_service_bytes / io_serviced (`<dev> Read|Write|... <n>` lines): Read and Write summed over devices. */
export function parseBlkio(b: Uint8Array, len: number): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (let i = 0; i < len;) {
    const eol = find(b, NL, i, len);
    const s1 = find(b, SP, i, eol);
    if (s1 < eol) {
      const s2 = find(b, SP, s1 + 1, eol);
      const op = opOf(b, s1 + 1, s2);
      if (op) {
        // The third space-separated field; a line with none adds NaN, as Number(undefined) would.
        const v = s2 < eol ? num(b, s2 + 1, find(b, SP, s2 + 1, eol)) : NaN;
        if (op === 1) read += v;
        else write += v;
      }
    }
    i = eol + 1;
  }
  return { read, write };
}

const READ = Buffer.from('Read');
const WRITE = Buffer.from('Write');
function opOf(b: Uint8Array, s: number, e: number): 0 | 1 | 2 {
  if (e - s === 4 && sameBytes(b, s, READ)) return 1;
  if (e - s === 5 && sameBytes(b, s, WRITE)) return 2;
  return 0;
}

const IO_KEYS = ['rbytes', 'wbytes', 'rios', 'wios'] as const;
const IO_KEY_BYTES = IO_KEYS.map((k) => Buffer.from(k));

/** cgroup v2 io.stat (`<dev> rbytes=… wbytes=… rios=… wios=… …` lines): sums over devices. */
export function parseIoStat(b: Uint8Array, len: number): { rbytes: number; wbytes: number; rios: number; wios: number } {
  const t = { rbytes: 0, wbytes: 0, rios: 0, wios: 0 };
  for (let i = 0; i < len;) {
    const eol = find(b, NL, i, len);
    // Fields after the device, separated by single spaces: key=value.
    for (let f = find(b, SP, i, eol); f < eol;) {
      const s = f + 1;
      const e = find(b, SP, s, eol);
      const eq = find(b, EQ, s, e);
      const k = IO_KEY_BYTES.findIndex((kb) => kb.length === eq - s && sameBytes(b, s, kb));
      if (k >= 0) {
        // A key without "=value" adds NaN, as Number(undefined) would.
        t[IO_KEYS[k]] += eq < e ? num(b, eq + 1, find(b, EQ, eq + 1, e)) : NaN;
      }
      f = e;
    }
    i = eol + 1;
  }
  return t;
}

/** Index of byte `c` in b[from, end), or `end`. */
function find(b: Uint8Array, c: number, from: number, end: number): number {
  let i = from;
  while (i < end && b[i] !== c) i++;
  return i;
}

function sameBytes(b: Uint8Array, at: number, key: Uint8Array): boolean {
  for (let j = 0; j < key.length; j++) if (b[at + j] !== key[j]) return false;
  return true;
}

export interface NetDev { rxBytes: number; rxPackets: number; txBytes: number; txPackets: number }

const VETH = Buffer.from('veth');

/**
 * /proc/net/dev: the counters of every `veth<ctid>` (a VE's host-side interface) by ctid; other
 * interfaces are skipped without a string or a number made for them.
 */
export function parseVethDev(b: Uint8Array, len: number): Map<number, NetDev> {
  const out = new Map<number, NetDev>();
  for (let i = 0; i < len;) {
    const eol = find(b, NL, i, len);
    let s = i;
    while (s < eol && b[s] === SP) s++;
    const colon = find(b, 0x3a, s, eol);
    const ctid = colon < eol ? vethCtid(b, s, colon) : -1;
    if (ctid >= 0) {
      const f = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
      let p = colon + 1;
      for (let k = 0; k < f.length; k++) {
        while (p < eol && (b[p] === SP || b[p] === 0x09)) p++;
        const e = findSpace(b, p, eol);
        f[k] = num(b, p, e);
        p = e;
      }
      out.set(ctid, { rxBytes: f[0], rxPackets: f[1], txBytes: f[8], txPackets: f[9] });
    }
    i = eol + 1;
  }
  return out;
}

// `veth<digits>` without a leading zero (as `veth${ctid}` is named) -> ctid, else -1.
function vethCtid(b: Uint8Array, s: number, e: number): number {
  const d = s + VETH.length;
  if (e <= d || e - d > 9 || !sameBytes(b, s, VETH) || (b[d] === 0x30 && e - d > 1)) return -1;
  let v = 0;
  for (let i = d; i < e; i++) {
    const c = b[i] - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * /proc/self/mountinfo: the `<n>` of every mount point `<under>/<n>` (n digits, no leading zero). `under` is
 * matched as the kernel writes it (space, tab, newline and backslash as octal escapes).
 */
export function parseMountedIds(b: Uint8Array, len: number, under: string): Set<number> {
  const prefix = Buffer.from(`${under.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)}/`, 'latin1');
  const out = new Set<number>();
  for (let i = 0; i < len;) {
    const eol = find(b, NL, i, len);
    // The mount point is the fifth field: "<id> <parent> <maj:min> <root> <mount point> ...".
    let s = i;
    for (let k = 0; k < 4 && s < eol; k++) s = find(b, SP, s, eol) + 1;
    const e = find(b, SP, s, eol);
    const n = e - s - prefix.length;
    if (n > 0 && n <= 9 && sameBytes(b, s, prefix) && (n === 1 || b[s + prefix.length] !== 0x30)) {
      let v = 0;
      let p = s + prefix.length;
      for (; p < e; p++) {
        const c = b[p] - 0x30;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
      }
      if (p === e) out.add(v);
    }
    i = eol + 1;
  }
  return out;
}

function findSpace(b: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i < end && b[i] !== SP && b[i] !== 0x09) i++;
  return i;
}
