/**
 * Splits a byte stream into JSON lines. Pure (no node imports) so both the daemon and the
 * panel client use the same framing. Throws when a line exceeds `maxBytes`.
 */
export class LineSplitter {
  private buf = '';
  constructor(private readonly maxBytes: number) {}

  /** Feeds a chunk; returns the complete, non-empty lines it finished. */
  push(chunk: string): string[] {
    this.buf += chunk;
    const parts = this.buf.split('\n');
    this.buf = parts.pop() ?? '';
    if (this.buf.length > this.maxBytes) {
      this.buf = '';
      throw new Error(`line longer than ${this.maxBytes} bytes`);
    }
    return parts.map((l) => l.trim()).filter((l) => l.length > 0);
  }
}
