/**
 * Splits a byte stream into JSON lines. Pure (no node imports) so both the daemon and the
 * panel client use the same framing. Throws when a line exceeds `maxBytes`.
 */
export class LineSplitter {
  // The unfinished line in pieces: each chunk is searched once, so a long line (a template chunk
  // of megabytes arriving in 64 KiB reads) costs its length, not its length squared.
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly maxBytes: number) {}

  /** Feeds a chunk; returns the complete, non-empty lines it finished. */
  push(chunk: string): string[] {
    const out: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.parts.push(chunk.slice(start, nl));
      const line = this.parts.join('').trim();
      this.parts = [];
      this.size = 0;
      if (line.length > 0) out.push(line);
      start = nl + 1;
    }
    const rest = chunk.slice(start);
    if (rest) {
      this.parts.push(rest);
      this.size += rest.length;
    }
    if (this.size > this.maxBytes) {
      this.parts = [];
      this.size = 0;
      throw new Error(`line longer than ${this.maxBytes} bytes`);
    }
    return out;
  }
}
