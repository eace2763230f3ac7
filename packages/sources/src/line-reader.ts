import { createReadStream, type ReadStream } from 'node:fs';

/** Returned by {@link LineReader.next} for a line longer than the limit (its text was dropped, never buffered). */
export const LINE_TOO_LONG = Symbol('line too long');

/**
 * Pull-based line splitter over a file read stream in paused mode, so memory stays at one stream chunk (64 KiB)
 * plus one line, whatever the file size: a line longer than `maxLineLength` is skipped as it streams by and
 * reported as {@link LINE_TOO_LONG}. Accepts `\n` and `\r\n` line ends; skips blank lines.
 */
export class LineReader {
  /** Called when more input (or the end, or an error) is available after `next()` returned null. */
  onReadable: () => void = () => {};
  /** Set when reading failed (then `next()` returns undefined). */
  error: Error | undefined;
  /** 1-based number of the last line returned (counting from the line at `start`). */
  lineNumber = 0;
  /** Byte offset in the file just past the last line returned (or skipped), its line end included. */
  byteOffset: number;
  private readonly stream: ReadStream;
  private readonly maxLineLength: number;
  private buf = '';
  private pos = 0;
  private ended = false;
  private skipping = false;
  private addedNewline = false;

  /** Reads `path` from byte `start` (a line start: 0, or an offset this reader's `byteOffset` gave). */
  constructor(path: string, maxLineLength: number, start = 0) {
    this.maxLineLength = maxLineLength;
    this.byteOffset = start;
    this.stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024, start });
    this.stream.on('readable', () => this.onReadable());
    this.stream.on('end', () => {
      this.ended = true;
      this.onReadable();
    });
    this.stream.on('error', (err) => {
      this.error = err;
      this.ended = true;
      this.onReadable();
    });
  }

  /** The next line; null when none is buffered yet (wait for onReadable); undefined at the end of the file. */
  next(): string | typeof LINE_TOO_LONG | null | undefined {
    for (;;) {
      if (this.error !== undefined) return undefined;
      const nl = this.buf.indexOf('\n', this.pos);
      if (nl >= 0) {
        const end = nl > this.pos && this.buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        const line = this.buf.slice(this.pos, end);
        this.pos = nl + 1;
        this.lineNumber++;
        // The newline this reader added after a last line without one is not in the file.
        this.byteOffset += Buffer.byteLength(line) + (nl - end) + (this.addedNewline && this.pos >= this.buf.length ? 0 : 1);
        if (this.skipping) {
          this.skipping = false;
          return LINE_TOO_LONG;
        }
        if (line.trim() === '') continue;
        return line;
      }
      if (this.buf.length - this.pos > this.maxLineLength + 1) {
        // Keep memory bounded: drop the oversized line as it streams by and report it at its end.
        this.skipping = true;
        this.byteOffset += Buffer.byteLength(this.buf.slice(this.pos));
        this.buf = '';
        this.pos = 0;
      }
      const chunk: unknown = this.ended ? null : this.stream.read();
      if (chunk === null) {
        if (!this.ended) return null;
        if (this.pos >= this.buf.length && !this.skipping) return undefined;
        // The last line has no newline: append one and go round again.
        this.buf = `${this.buf.slice(this.pos)}\n`;
        this.pos = 0;
        this.addedNewline = true;
        continue;
      }
      this.buf = this.pos < this.buf.length ? this.buf.slice(this.pos) + String(chunk) : String(chunk);
      this.pos = 0;
    }
  }

  /** Closes the file. */
  close(): void {
    this.stream.destroy();
  }
}
