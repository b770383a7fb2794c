/**
 * Text written as UTF-8 into one growing buffer. A scrape's answer (8 MB for 1,000 members) is
 * written here instead of into many short-lived buffers or strings: allocating and freeing that
 * much per scrape leaves the C heap fragmented and the resident size high long after. The
 * proxy reuses one sink between scrapes while no answer is still being sent from it.
 */
export class ByteSink {
  #buffer: Buffer;
  #length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#buffer = Buffer.allocUnsafeSlow(initialBytes);
  }

  get length(): number {
    return this.#length;
  }

  /** Capacity held, for the reuse policy. */
  get capacity(): number {
    return this.#buffer.length;
  }

  reset(): void {
    this.#length = 0;
  }

  write(text: string): void {
    const needed = this.#length + Buffer.byteLength(text, 'utf8');
    if (needed > this.#buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.#buffer.length * 2));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    this.#length += this.#buffer.write(text, this.#length, 'utf8');
  }

  /** A view of bytes [start, end) (valid until the next write or reset). */
  view(start = 0, end = this.#length): Buffer {
    return this.#buffer.subarray(start, end);
  }

  toString(): string {
    return this.#buffer.toString('utf8', 0, this.#length);
  }
}
