import { closeSync, fdatasync, fstatSync, ftruncateSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { CorruptLogError } from './errors.js';

/**
 * One frame of an append-only frame file (host-endian, little-endian hosts only):
 *
 * ```
 *  0      4        8       12        16            24
 *  | magic | length | crc32 | reserved | tag (f64) | payload (length bytes) ...
 * ```
 * `crc32` covers the tag and the payload; `tag` is a number the owner chooses (the feature log stores the decision
 * log's record count after the frame's batch, to cut back to a checkpoint).
 */
export const FRAME_HEADER = 24;
const MAGIC = 0x31524653; // "FSR1"
/** Largest payload of one frame (a frame is one batch or one label: far smaller). */
export const MAX_FRAME = 64 * 1024 * 1024;

/** What open found at the end of a frame file: a torn or corrupt last frame, cut. */
export interface FrameRecovery {
  file: string;
  offset: number;
  reason: string;
  droppedBytes: number;
}

/** A frame read back: its file offset, tag and payload. */
export interface Frame {
  offset: number;
  tag: number;
  payload: Buffer;
}

/**
 * An append-only file of checksummed frames: appends are buffered and written with one `write()` per flush (the
 * file is opened O_APPEND, so writers in one process never interleave within a frame), `sync()` is an `fdatasync`
 * on libuv's pool, and open cuts a torn or corrupt last frame (the tail a crash leaves). Damage before the last
 * frame cannot come from a crash and is a {@link CorruptLogError} naming the file and offset when it is read.
 */
export class FrameFile {
  readonly path: string;
  /** What open cut, if anything. */
  readonly recovery: FrameRecovery | undefined;
  private fd: number;
  private size: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private closed = false;

  private constructor(path: string, fd: number, size: number, recovery: FrameRecovery | undefined) {
    this.path = path;
    this.fd = fd;
    this.size = size;
    this.recovery = recovery;
  }

  /** Opens (creates) `path` for appending; a torn last frame is cut (truncate + fsync) and reported in `recovery`. */
  static open(path: string): FrameFile {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, 'a+');
    try {
      const size = fstatSync(fd).size;
      const { end, problem } = scan(fd, size);
      let recovery: FrameRecovery | undefined;
      if (end < size) {
        ftruncateSync(fd, end);
        fsyncSync(fd);
        recovery = { file: path, offset: end, reason: problem ?? 'torn frame', droppedBytes: size - end };
      }
      return new FrameFile(path, fd, end, recovery);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Queues one frame (written at the next {@link flush}). */
  append(tag: number, payload: Uint8Array): void {
    this.appendWith(tag, payload.byteLength, (p) => p.set(payload));
  }

  /**
   * Queues one frame of `length` payload bytes that `fill` writes in place (zeroed first; the payload starts 8-byte
   * aligned in its buffer, so typed views of it can be set directly): no copy of the payload.
   */
  appendWith(tag: number, length: number, fill: (payload: Buffer) => void): void {
    if (this.closed) throw new Error(`${this.path} is closed`);
    if (length > MAX_FRAME) throw new RangeError(`a frame of ${this.path} holds at most ${MAX_FRAME} bytes`);
    const frame = Buffer.alloc(FRAME_HEADER + length);
    fill(frame.subarray(FRAME_HEADER));
    frame.writeUInt32LE(MAGIC, 0);
    frame.writeUInt32LE(length, 4);
    frame.writeDoubleLE(tag, 16);
    frame.writeUInt32LE(crc32(frame.subarray(16)), 8);
    this.pending.push(frame);
    this.pendingBytes += frame.length;
  }

  /** Writes the queued frames (one `write()`); returns the file's end. A failed write drops them and throws. */
  flush(): number {
    if (this.pendingBytes === 0) return this.size;
    const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let at = 0;
    while (at < all.length) at += writeSync(this.fd, all, at, all.length - at);
    this.size += all.length;
    return this.size;
  }

  /** Flushes, then makes the file durable (fdatasync on the thread pool); resolves with the durable end. */
  sync(): Promise<number> {
    const end = this.flush();
    return new Promise((resolve, reject) => fdatasync(this.fd, (err) => (err === null ? resolve(end) : reject(err))));
  }

  /** The end of what is written (queued frames not included). */
  position(): number {
    return this.size;
  }

  /** Cuts the file at `offset` (a frame boundary), durably. */
  truncateTo(offset: number): void {
    this.flush();
    if (offset > this.size) throw new RangeError(`offset ${offset} is past the end of ${this.path} (${this.size})`);
    ftruncateSync(this.fd, offset);
    fsyncSync(this.fd);
    this.size = offset;
  }

  /** Cuts every frame from the first whose tag is greater than `maxTag` on (tags grow along the file). */
  cutAfterTag(maxTag: number): { droppedFrames: number } {
    this.flush();
    let dropped = 0;
    let cut = -1;
    for (const h of headers(this.fd, this.size)) {
      if (h.tag > maxTag) {
        if (cut < 0) cut = h.offset;
        dropped++;
      }
    }
    if (cut >= 0) this.truncateTo(cut);
    return { droppedFrames: dropped };
  }

  /** Flushes and closes (no sync: call {@link sync} first for durability). */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      closeSync(this.fd);
    }
  }
}

/** Every frame of the file at `path` (read-only, up to a torn tail), checksums checked. */
export function* readFrames(path: string): Generator<Frame> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    const { end } = scan(fd, size);
    const head = Buffer.alloc(FRAME_HEADER);
    for (let at = 0; at < end; ) {
      readSync(fd, head, 0, FRAME_HEADER, at);
      const length = head.readUInt32LE(4);
      const body = Buffer.allocUnsafe(8 + length);
      readSync(fd, body, 0, body.length, at + 16);
      if (crc32(body) !== head.readUInt32LE(8)) throw new CorruptLogError(path, at, 'frame checksum mismatch');
      yield { offset: at, tag: body.readDoubleLE(0), payload: body.subarray(8) };
      at += FRAME_HEADER + length;
    }
  } finally {
    closeSync(fd);
  }
}

/** Bytes read at once while following the chain of headers (most frames are a few KiB: one read covers many). */
const WINDOW = 1024 * 1024;

/** Frame headers from the start, stopping at a bad or torn one. */
function* headers(fd: number, size: number): Generator<{ offset: number; length: number; tag: number }> {
  const win = Buffer.allocUnsafe(WINDOW);
  let winAt = 0;
  let winLen = 0;
  for (let at = 0; at + FRAME_HEADER <= size; ) {
    if (at < winAt || at + FRAME_HEADER > winAt + winLen) {
      winAt = at;
      winLen = readSync(fd, win, 0, Math.min(WINDOW, size - at), at);
      if (winLen < FRAME_HEADER) return;
    }
    const o = at - winAt;
    const length = win.readUInt32LE(o + 4);
    if (win.readUInt32LE(o) !== MAGIC || length > MAX_FRAME || at + FRAME_HEADER + length > size) return;
    yield { offset: at, length, tag: win.readDoubleLE(o + 16) };
    at += FRAME_HEADER + length;
  }
}

/** The end of the good frames: the chain of headers, with the last frame's checksum checked. */
function scan(fd: number, size: number): { end: number; problem: string | undefined } {
  let end = 0;
  let last: { offset: number; length: number } | undefined;
  for (const h of headers(fd, size)) {
    last = h;
    end = h.offset + FRAME_HEADER + h.length;
  }
  if (last !== undefined) {
    const body = Buffer.allocUnsafe(8 + last.length);
    readSync(fd, body, 0, body.length, last.offset + 16);
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, last.offset + 8);
    if (crc32(body) !== head.readUInt32LE(0)) return { end: last.offset, problem: 'last frame checksum mismatch' };
  }
  return { end, problem: end < size ? 'torn frame at the end' : undefined };
}
