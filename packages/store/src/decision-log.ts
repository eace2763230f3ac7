import {
  closeSync,
  fdatasync,
  write,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { BlockBuilder, bodyIntact, type ColumnRun, DecodedBlock, H, HEADER_SIZE, MAX_REASONS, MAX_STRING, parseHeader } from './block-format.js';
import { refFromHex, refToHex } from './card-ref.js';
import { decisionIdOf } from './decision-id.js';
import { CorruptLogError, StoreInputError } from './errors.js';
import { GrowableIndex } from './block-index.js';
import { parseQuery, type DecisionPage, type DecisionQuery, type ParsedQuery, type StoredDecision } from './query.js';

/** One decision to append, as objects (the engine's hot path uses {@link DecisionLog.add} with plain values). */
export interface DecisionInput {
  transactionId: string;
  eventTimeMs: number;
  score: number;
  decision: 'APPROVE' | 'REVIEW' | 'DECLINE';
  reasons: readonly string[];
  modelVersion: string;
  /** Keyed card reference, 16 hex digits ({@link CardRefHasher}). */
  cardRef: string;
}

/** Options of {@link DecisionLog.open}. */
export interface DecisionLogOptions {
  /** Open for queries only: nothing is written, a damaged tail is reported and ignored, no lock is taken. */
  readOnly?: boolean;
  /** Decisions per block, 1..65536 (default 4096). A block is one write and one checksum. */
  blockRecords?: number;
  /** A segment file is closed and a new one started once it reaches this size (default 128 MiB, min 64 KiB). */
  segmentBytes?: number;
  /**
   * Sealed blocks waiting for libuv's pool may hold at most this many bytes (default 32 MiB); past it the appending
   * thread writes the backlog itself, so a slow disk slows the engine instead of growing memory.
   */
  maxQueuedBytes?: number;
}

/** What {@link DecisionLog.open} found and cut at the end of the log: a torn or corrupt tail from a crash. */
export interface TailRecovery {
  file: string;
  /** Byte offset in `file` of the first invalid block; the file now ends here (read-only: is read up to here). */
  offset: number;
  reason: string;
  droppedBytes: number;
}

interface Segment {
  base: number;
  file: string;
  size: number;
}

/** A sealed block on its way to the file: written on libuv's pool, indexed (visible to queries) once written. */
interface QueuedBlock {
  buf: Buffer;
  fd: number;
  /** Offset in the segment file. */
  at: number;
  /** Log-wide position of its first byte. */
  pos: number;
  count: number;
  first: number;
  /** Bytes of `buf` written so far (a short write continues from here). */
  done: number;
  /** True once the whole block is in the file (by the pool's write, or again by a synchronous drain). */
  written: boolean;
}


const SEGMENT_RE = /^(\d{20})\.dlog$/;
const DECISION_CODE: Record<string, number> = { APPROVE: 0, REVIEW: 1, DECLINE: 2 };
const DECISION_NAME = ['APPROVE', 'REVIEW', 'DECLINE'] as const;
const EMPTY: readonly string[] = [];

/**
 * The durable decision log: append-only segment files of checksummed blocks in a directory.
 *
 * Positions are log-wide byte offsets (a segment file is named by the position of its first byte), so a checkpoint
 * stores one number. `add`/`append` only encode into the pending block; a full block, or `flush`, seals it and
 * queues it for writing (one positional `write` per block, in order, on libuv's thread pool, so the appending
 * thread never waits on the page cache); `sync` waits for the queued writes and makes everything flushed durable
 * (`fdatasync`) and returns that position; `truncateTo` rewinds to a checkpointed position after a crash, so the
 * decisions re-made from the checkpoint's source position appear once. Queries see written blocks only. A failed
 * write (ENOSPC, EIO) is thrown by the next `add`, `flush` or `sync`.
 */
export class DecisionLog {
  /** Set when open cut (or, read-only, ignored) a damaged tail. */
  readonly recovery: TailRecovery | undefined;
  private readonly segments: Segment[] = [];
  private readonly index = new GrowableIndex();
  private readonly builder: BlockBuilder;
  private readonly segmentBytes: number;
  private readonly maxQueuedBytes: number;
  private writeFd = -1;
  private readonly readFds = new Map<string, number>();
  private nextRecord = 0;
  /** Records in written (indexed, queryable) blocks. */
  private indexed = 0;
  private end = 0;
  private readonly queue: QueuedBlock[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  /** A pool write is running (one at a time, in log order). */
  private writing = false;
  /** Pool writes (and their continuations) not yet called back: fds must not be closed under them. */
  private poolWrites = 0;
  private writeError: Error | undefined;
  /** End of the blocks in the file (written in log order, so everything before it is written too). */
  private writtenEnd = 0;
  private waiters: { upTo: number; wake: () => void }[] = [];
  private durable = 0;
  private syncing = 0;
  private retiredFds: number[] = [];
  private closed = false;
  private checkedModel: string | undefined;
  private readonly lockFile: string | undefined;

  private constructor(
    readonly dir: string,
    readonly readOnly: boolean,
    options: DecisionLogOptions,
  ) {
    const blockRecords = options.blockRecords ?? 4096;
    if (!Number.isInteger(blockRecords) || blockRecords < 1 || blockRecords > 65536) {
      throw new StoreInputError('options.blockRecords', 'options.blockRecords must be an integer from 1 to 65536');
    }
    const segmentBytes = options.segmentBytes ?? 128 * 1024 * 1024;
    if (!Number.isInteger(segmentBytes) || segmentBytes < 65536 || segmentBytes > 2 ** 40) {
      throw new StoreInputError('options.segmentBytes', 'options.segmentBytes must be an integer from 65536 to 2^40');
    }
    this.segmentBytes = segmentBytes;
    const maxQueuedBytes = options.maxQueuedBytes ?? 32 * 1024 * 1024;
    if (!Number.isInteger(maxQueuedBytes) || maxQueuedBytes < 0 || maxQueuedBytes > 2 ** 32) {
      throw new StoreInputError('options.maxQueuedBytes', 'options.maxQueuedBytes must be an integer from 0 to 2^32');
    }
    this.maxQueuedBytes = maxQueuedBytes;
    this.builder = new BlockBuilder(blockRecords);
    if (!readOnly) {
      mkdirSync(dir, { recursive: true });
      this.lockFile = takeLock(dir);
    }
    try {
      this.recovery = this.load();
      if (!readOnly) this.openForWrite();
    } catch (err) {
      this.releaseFds();
      if (this.lockFile !== undefined) unlinkSync(this.lockFile);
      throw err;
    }
  }

  /** Opens (creating if needed) the log in `dir`, checking every block of the last segment and cutting a bad tail. */
  static open(dir: string, options: DecisionLogOptions = {}): DecisionLog {
    if (typeof dir !== 'string' || dir === '') throw new StoreInputError('dir', 'dir must be a non-empty path');
    return new DecisionLog(dir, options.readOnly === true, options);
  }

  /** Reads the segments' block headers into the index; checks bodies of the last segment; cuts a damaged tail. */
  private load(): TailRecovery | undefined {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => SEGMENT_RE.test(n)).sort();
    } catch (err) {
      if (this.readOnly && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new StoreInputError('dir', `${this.dir} does not exist: no decision log there`);
      }
      throw err;
    }
    let recovery: TailRecovery | undefined;
    for (let s = 0; s < names.length; s++) {
      const name = names[s] as string;
      const file = join(this.dir, name);
      const base = Number(SEGMENT_RE.exec(name)?.[1]);
      const last = s === names.length - 1;
      if (base !== this.end) throw new CorruptLogError(file, 0, `segment starts at ${base} but the log before it ends at ${this.end}`);
      const fd = this.readFd(file);
      const size = fstatSync(fd).size;
      let pos = 0;
      const head = Buffer.alloc(HEADER_SIZE);
      while (pos < size) {
        const got = readSync(fd, head, 0, Math.min(HEADER_SIZE, size - pos), pos);
        const header = parseHeader(head.subarray(0, got));
        let problem: string | undefined;
        if (typeof header === 'string') problem = header;
        else if (pos + HEADER_SIZE + header.bodyLength > size) problem = `block body truncated (${size - pos - HEADER_SIZE} of ${header.bodyLength} bytes)`;
        else if (header.firstRecord !== this.nextRecord) problem = `block starts at record ${header.firstRecord}, expected ${this.nextRecord}`;
        else if (last) {
          const body = Buffer.alloc(header.bodyLength);
          readSync(fd, body, 0, header.bodyLength, pos + HEADER_SIZE);
          if (!bodyIntact(header, body)) problem = 'body checksum mismatch';
        }
        if (problem !== undefined || typeof header === 'string') {
          // Only the end of the last segment can be torn by a crash: earlier segments were synced before the next began.
          if (!last) throw new CorruptLogError(file, pos, problem ?? 'bad block');
          recovery = { file, offset: pos, reason: problem ?? 'bad block', droppedBytes: size - pos };
          if (!this.readOnly) {
            const wfd = openSync(file, 'r+');
            try {
              ftruncateSync(wfd, pos);
              fdatasyncSync(wfd);
            } finally {
              closeSync(wfd);
            }
          }
          break;
        }
        this.index.push(this.end + pos, header.count, header.firstRecord, header.minTs, header.maxTs, header.alerts, HEADER_SIZE + header.bodyLength);
        this.nextRecord += header.count;
        pos += HEADER_SIZE + header.bodyLength;
      }
      this.segments.push({ base, file, size: pos });
      this.end = base + pos;
    }
    this.durable = this.end;
    this.writtenEnd = this.end;
    this.indexed = this.nextRecord;
    return recovery;
  }

  /**
   * Read-only: takes in what the writer flushed since this log was opened or last refreshed (whole blocks appended to
   * the last segment, and new segments), so a long-lived reader (the server's `GET /api/decisions`) follows a live
   * log without re-reading it. A block still being written is left for the next refresh. Returns false when the log
   * changed in a way only a new open can follow (a segment shrank or vanished: the writer truncated to a
   * checkpoint); the caller then closes this log and opens it again. A writer's log returns true and does nothing.
   */
  refresh(): boolean {
    if (!this.readOnly) return true;
    if (this.closed) throw new StoreInputError('log', 'the log is closed');
    const names = readdirSync(this.dir).filter((n) => SEGMENT_RE.test(n)).sort();
    if (names.length < this.segments.length) return false;
    for (let s = 0; s < this.segments.length; s++) {
      if (join(this.dir, names[s] as string) !== (this.segments[s] as Segment).file) return false;
    }
    for (let s = Math.max(0, this.segments.length - 1); s < names.length; s++) {
      let seg = this.segments[s];
      if (seg === undefined) {
        const base = Number(SEGMENT_RE.exec(names[s] as string)?.[1]);
        // A new segment begins where the last one ended; until the last one's tail is read, wait.
        if (base !== this.end) return true;
        seg = { base, file: join(this.dir, names[s] as string), size: 0 };
        this.segments.push(seg);
      }
      const fd = this.readFd(seg.file);
      const size = fstatSync(fd).size;
      if (size < seg.size) return false;
      const head = Buffer.alloc(HEADER_SIZE);
      let pos = seg.size;
      while (pos + HEADER_SIZE <= size) {
        readSync(fd, head, 0, HEADER_SIZE, pos);
        const header = parseHeader(head);
        // A whole header that does not parse was not being written (one write() per block): the log was rewritten.
        if (typeof header === 'string') return false;
        if (pos + HEADER_SIZE + header.bodyLength > size) break;
        if (header.firstRecord !== this.nextRecord) return false;
        this.index.push(seg.base + pos, header.count, header.firstRecord, header.minTs, header.maxTs, header.alerts, HEADER_SIZE + header.bodyLength);
        this.nextRecord += header.count;
        pos += HEADER_SIZE + header.bodyLength;
      }
      seg.size = pos;
      this.end = seg.base + pos;
      this.durable = this.end;
      this.indexed = this.nextRecord;
      if (pos < size) return true;
    }
    return true;
  }

  private openForWrite(): void {
    if (this.segments.length === 0) this.newSegment();
    const seg = this.segments[this.segments.length - 1] as Segment;
    this.writeFd = openSync(seg.file, 'r+');
  }

  private newSegment(): void {
    const file = join(this.dir, `${String(this.end).padStart(20, '0')}.dlog`);
    closeSync(openSync(file, 'wx'));
    syncDir(this.dir);
    this.segments.push({ base: this.end, file, size: 0 });
  }

  /**
   * Adds one decision to the pending block (no system call unless the block fills up and is written).
   * `transactionId` is the id string, or the id as a number when it is a canonical integer below 2^53 (what the
   * engine's records carry: no string is made); it reads back as the same string either way.
   * `score` is 0..1, or NaN for a fallback decision made without a score; `decision` is 0 APPROVE, 1 REVIEW,
   * 2 DECLINE; (`refHi`, `refLo`) is the keyed card reference.
   */
  add(
    transactionId: string | number,
    eventTimeMs: number,
    score: number,
    decision: number,
    reasons: readonly string[],
    modelVersion: string,
    refHi: number,
    refLo: number,
  ): void {
    if (this.readOnly || this.closed) throw new StoreInputError('log', this.closed ? 'the log is closed' : 'the log is open read-only');
    if (this.writeError !== undefined) throw this.writeError;
    if (typeof transactionId === 'number') {
      if (!Number.isSafeInteger(transactionId) || transactionId < 0) {
        throw new StoreInputError('transactionId', 'transactionId must be a string of 1 to 64 characters or an integer from 0 to 2^53 - 1');
      }
    } else checkString(transactionId, 'transactionId');
    if (!Number.isFinite(eventTimeMs)) throw new StoreInputError('eventTimeMs', 'eventTimeMs must be a finite number');
    // NaN is a decision the fallback made without a score (the scorer failed on its batch).
    if (!(score >= 0 && score <= 1) && !Number.isNaN(score)) throw new StoreInputError('score', 'score must be a number from 0 to 1, or NaN when not scored');
    if (decision !== 0 && decision !== 1 && decision !== 2) throw new StoreInputError('decision', 'decision must be 0, 1 or 2');
    if (!Array.isArray(reasons) || reasons.length > MAX_REASONS) {
      throw new StoreInputError('reasons', `reasons must be an array of at most ${MAX_REASONS} names`);
    }
    for (let r = 0; r < reasons.length; r++) checkString(reasons[r], 'reasons');
    if (modelVersion !== this.checkedModel) {
      checkString(modelVersion, 'modelVersion');
      this.checkedModel = modelVersion;
    }
    if (!this.builder.add(transactionId, eventTimeMs, score, decision, reasons, modelVersion, refHi >>> 0, refLo >>> 0)) {
      this.writeBlock();
      this.builder.add(transactionId, eventTimeMs, score, decision, reasons, modelVersion, refHi >>> 0, refLo >>> 0);
    }
    if (this.builder.count === this.builder.capacity) this.writeBlock();
  }

  /**
   * Adds `n` APPROVE decisions without reasons from columns (indices `from ..` of `src`) in bulk, made by
   * `modelVersion`: what the engine's staged columns hold for every decision its worker did not flag. Each must
   * have an integer id from 0 to 2^53 - 1, a finite event time and a score from 0 to 1 (the worker flags any other,
   * and those go through {@link add}); this is not checked again per decision.
   */
  addRun(src: ColumnRun, from: number, n: number, modelVersion: string): void {
    if (this.readOnly || this.closed) throw new StoreInputError('log', this.closed ? 'the log is closed' : 'the log is open read-only');
    if (!Number.isInteger(from) || !Number.isInteger(n) || from < 0 || n < 0 || from + n > src.ts.length) {
      throw new StoreInputError('n', 'from and n must be integers within the columns');
    }
    if (this.writeError !== undefined) throw this.writeError;
    if (modelVersion !== this.checkedModel) {
      checkString(modelVersion, 'modelVersion');
      this.checkedModel = modelVersion;
    }
    let done = 0;
    while (done < n) {
      const k = this.builder.addRun(src, from + done, n - done, modelVersion);
      done += k;
      if (k === 0 && this.builder.count === 0) throw new StoreInputError('modelVersion', 'the block has no room for the model version');
      if (k === 0 || this.builder.count === this.builder.capacity) this.writeBlock();
    }
  }

  /** Adds decisions given as objects (see {@link add}); validates each, naming the field at fault. */
  append(rows: readonly DecisionInput[]): void {
    if (!Array.isArray(rows)) throw new StoreInputError('rows', 'rows must be an array of decisions');
    for (const row of rows) {
      const code = DECISION_CODE[row.decision];
      if (code === undefined) throw new StoreInputError('decision', 'decision must be APPROVE, REVIEW or DECLINE');
      const [hi, lo] = refFromHex(row.cardRef, 'cardRef');
      this.add(row.transactionId, row.eventTimeMs, row.score, code, row.reasons ?? EMPTY, row.modelVersion, hi, lo);
    }
  }

  private writeBlock(): void {
    if (this.writeError !== undefined) throw this.writeError;
    if (this.builder.count === 0) return;
    let seg = this.segments[this.segments.length - 1] as Segment;
    if (seg.size >= this.segmentBytes) {
      // Make the full segment durable before the next exists, so only the last segment can ever have a torn tail.
      this.drainNow();
      fdatasyncSync(this.writeFd);
      this.retiredFds.push(this.writeFd);
      this.closeRetired();
      this.durable = this.end;
      this.newSegment();
      seg = this.segments[this.segments.length - 1] as Segment;
      this.writeFd = openSync(seg.file, 'r+');
    }
    const count = this.builder.count;
    const buf = this.builder.seal(this.nextRecord);
    this.queue.push({ buf, fd: this.writeFd, at: seg.size, pos: this.end, count, first: this.nextRecord, done: 0, written: false });
    this.queuedBytes += buf.length;
    seg.size += buf.length;
    this.end += buf.length;
    this.nextRecord += count;
    // Bounded memory: when the pool falls this far behind, the appending thread writes the backlog itself.
    if (this.queuedBytes > this.maxQueuedBytes) this.drainNow();
    else this.pump();
  }

  /** Starts the pool write of the oldest queued block, unless one is running. */
  private pump(): void {
    if (this.writing || this.writeError !== undefined) return;
    const q = this.queue[this.queueHead];
    if (q === undefined) return;
    this.writing = true;
    this.poolWrite(q);
  }

  private poolWrite(q: QueuedBlock): void {
    this.poolWrites++;
    write(q.fd, q.buf, q.done, q.buf.length - q.done, q.at + q.done, (err, n) => {
      this.poolWrites--;
      if (q.written) {
        // drainNow wrote this block again meanwhile (the same bytes at the same offset) and took it off the queue.
        this.writing = false;
      } else if (err !== null) {
        this.writing = false;
        this.writeError ??= err;
      } else {
        q.done += n;
        if (q.done < q.buf.length) {
          this.poolWrite(q);
          return;
        }
        this.writing = false;
        this.retire(q);
      }
      this.closeRetired();
      this.pump();
      this.settle();
    });
  }

  /** A block is in the file: index it (queries see it from now on) and take it off the queue. */
  private retire(q: QueuedBlock): void {
    q.written = true;
    const b = q.buf;
    this.index.push(q.pos, q.count, q.first, b.readDoubleLE(H.minTs), b.readDoubleLE(H.maxTs), b.readUInt32LE(H.alerts), b.length);
    this.indexed = q.first + q.count;
    this.writtenEnd = q.pos + b.length;
    this.queuedBytes -= b.length;
    this.queue[this.queueHead] = undefined as unknown as QueuedBlock;
    this.queueHead++;
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 1024) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Wakes the {@link whenWritten} callers whose wait is over (all of them once a write failed). */
  private settle(): void {
    if (this.waiters.length === 0) return;
    const idle = this.queueHead === this.queue.length && this.poolWrites === 0;
    const keep: { upTo: number; wake: () => void }[] = [];
    for (const w of this.waiters) {
      if (this.writeError !== undefined || (w.upTo < 0 ? idle : this.writtenEnd >= w.upTo)) w.wake();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  /**
   * Writes every queued block on the calling thread. A block the pool is writing is written again whole: the same
   * bytes at the same offset, so whichever write lands last leaves the file the same.
   */
  private drainNow(): void {
    if (this.writeError !== undefined) throw this.writeError;
    while (this.queueHead < this.queue.length) {
      const q = this.queue[this.queueHead] as QueuedBlock;
      try {
        writeAll(q.fd, q.buf, q.at);
      } catch (err) {
        this.writeError ??= err as Error;
        this.settle();
        throw err;
      }
      this.retire(q);
    }
    this.settle();
  }

  /**
   * Resolves once the log is written up to position `upTo` (blocks sealed later may still be queued), or, without
   * it, once every sealed block is in the file and no pool write is running (queries see them all; the log may
   * then be truncated). Rejects with the error of a failed write.
   */
  async whenWritten(upTo?: number): Promise<void> {
    const target = upTo ?? -1;
    const done = (): boolean =>
      target < 0 ? this.queueHead === this.queue.length && this.poolWrites === 0 : this.writtenEnd >= target;
    while (!done() && this.writeError === undefined) {
      await new Promise<void>((wake) => this.waiters.push({ upTo: target, wake }));
    }
    if (this.writeError !== undefined) throw this.writeError;
  }

  /** Seals the pending block (if any) and queues it for writing; returns the log's end position. Not yet durable. */
  flush(): number {
    if (!this.readOnly && !this.closed) this.writeBlock();
    return this.end;
  }

  /**
   * Seals the pending block and writes everything queued on the calling thread: queries see it all on return.
   * Returns the log's end position. Not yet durable (tools and tests; the engine uses {@link flush}).
   */
  flushNow(): number {
    const pos = this.flush();
    if (!this.readOnly && !this.closed) this.drainNow();
    return pos;
  }

  /** Blocks waiting for the pool's writes (or written by {@link flushNow}). */
  queuedBlocks(): number {
    return this.queue.length - this.queueHead;
  }

  /**
   * Flushes, then makes the log durable up to the returned position with `fdatasync` on libuv's thread pool
   * (the main thread keeps appending meanwhile; what it appends is not covered by this call).
   */
  async sync(): Promise<number> {
    const pos = this.flush();
    if (this.readOnly || this.closed || pos <= this.durable) return this.durable;
    this.syncing++;
    try {
      // Only up to this call's position: blocks sealed meanwhile must not keep a busy log from ever syncing.
      await this.whenWritten(pos);
      // Read after the wait: a segment roll meanwhile synced the old file and made the new one the write fd.
      const fd = this.writeFd;
      if (fd >= 0) await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      this.syncing--;
      this.closeRetired();
    }
    if (pos > this.durable) this.durable = pos;
    return this.durable;
  }

  /** {@link sync}, blocking the calling thread (shutdown, tests, tools). */
  syncNow(): number {
    const pos = this.flush();
    if (this.readOnly || this.closed || pos <= this.durable) return this.durable;
    this.drainNow();
    fdatasyncSync(this.writeFd);
    this.durable = pos;
    return pos;
  }

  /** End of the sealed blocks: written or queued for writing (pending decisions excluded). */
  position(): number {
    return this.end;
  }

  /** The last position a completed `sync` made durable. */
  durablePosition(): number {
    return this.durable;
  }

  /** Decisions in the log, pending ones included. */
  records(): number {
    return this.nextRecord + this.builder.count;
  }

  /** Decisions added but not yet written (they are written by the next flush, sync or a full block). */
  pendingRecords(): number {
    return this.builder.count;
  }

  /**
   * Rewinds the log to `position` (a position this log returned: a block boundary at or before the end), dropping
   * the pending block and everything after it, durably. Used on recovery with the checkpoint's log position.
   */
  truncateTo(position: number): void {
    if (this.readOnly || this.closed) throw new StoreInputError('log', this.closed ? 'the log is closed' : 'the log is open read-only');
    if (this.syncing > 0) throw new StoreInputError('log', 'truncateTo must wait for pending sync() calls to settle');
    if (this.queueHead < this.queue.length || this.poolWrites > 0) throw new StoreInputError('log', 'truncateTo must wait for queued writes (whenWritten() first)');
    if (!Number.isSafeInteger(position) || position < 0 || position > this.end) {
      throw new StoreInputError('position', `position must be an integer from 0 to the log's end (${this.end})`);
    }
    const keep = position === this.end ? this.index.length : this.index.findPos(position);
    if (keep < 0) throw new StoreInputError('position', `position ${position} is not a block boundary of this log`);
    this.builder.reset();
    if (position === this.end) return;
    this.nextRecord = this.index.first(keep);
    this.index.truncate(keep);
    while (this.segments.length > 1 && (this.segments[this.segments.length - 1] as Segment).base >= position) {
      const seg = this.segments.pop() as Segment;
      closeSync(this.writeFd);
      this.dropReadFd(seg.file);
      unlinkSync(seg.file);
      this.writeFd = openSync((this.segments[this.segments.length - 1] as Segment).file, 'r+');
    }
    syncDir(this.dir);
    const seg = this.segments[this.segments.length - 1] as Segment;
    seg.size = position - seg.base;
    ftruncateSync(this.writeFd, seg.size);
    fdatasyncSync(this.writeFd);
    this.end = position;
    this.writtenEnd = position;
    this.indexed = this.nextRecord;
    this.durable = position;
  }

  /** One page of decisions, newest first, matching the query; `next` pages further back. Sees flushed data only. */
  query(query: DecisionQuery = {}): DecisionPage {
    const q = parseQuery(query, this.indexed);
    const rows: StoredDecision[] = [];
    let last = -1;
    for (const row of this.iterate(q)) {
      rows.push(row);
      last = row.record;
      if (rows.length === q.limit) break;
    }
    return { rows, next: rows.length === q.limit && last > 0 ? String(last) : null };
  }

  /** Every decision matching the query's filters, newest first, from `before` (the query's limit is ignored). */
  *scan(query: DecisionQuery = {}): Generator<StoredDecision> {
    yield* this.iterate(parseQuery({ ...query, limit: undefined }, this.indexed));
  }

  private *iterate(q: ParsedQuery): Generator<StoredDecision> {
    const upto = Math.min(q.before, this.indexed);
    if (upto <= 0 || this.index.length === 0) return;
    const wantAlertsOnly = !q.decisions[0];
    for (let b = this.index.blockOf(upto - 1); b >= 0; b--) {
      if (this.index.maxTs(b) < q.since || this.index.minTs(b) >= q.until) continue;
      if (wantAlertsOnly && this.index.alerts(b) === 0) continue;
      const block = this.readBlock(b);
      const first = this.index.first(b);
      const top = Math.min(block.header.count, upto - first);
      for (let i = top - 1; i >= 0; i--) {
        const ts = block.ts[i] as number;
        if (ts < q.since || ts >= q.until) continue;
        const d = block.decision[i] as number;
        if (!q.decisions[d]) continue;
        if (q.card !== undefined && (block.card[2 * i] !== q.card[0] || block.card[2 * i + 1] !== q.card[1])) continue;
        const transactionId = block.transactionId(i);
        yield {
          record: first + i,
          decisionId: decisionIdOf(transactionId),
          transactionId,
          eventTimeMs: ts,
          score: block.score[i] as number,
          decision: DECISION_NAME[d] ?? 'REVIEW',
          reasons: block.reasons(i),
          modelVersion: block.dict[block.model[i] ?? 0] ?? '',
          cardRef: refToHex(block.card[2 * i] as number, block.card[2 * i + 1] as number),
        };
      }
    }
  }

  private readBlock(b: number): DecodedBlock {
    const pos = this.index.pos(b);
    const seg = this.segmentAt(pos);
    const fd = this.readFd(seg.file);
    const len = this.index.bytes(b);
    // A fresh ArrayBuffer keeps the body 8-byte aligned for the typed column views.
    const buf = Buffer.from(new ArrayBuffer(len));
    const got = readSync(fd, buf, 0, len, pos - seg.base);
    const header = parseHeader(buf.subarray(0, HEADER_SIZE));
    if (got !== len || typeof header === 'string' || !bodyIntact(header, buf.subarray(HEADER_SIZE))) {
      throw new CorruptLogError(seg.file, pos - seg.base, typeof header === 'string' ? header : 'body checksum mismatch or short read');
    }
    return new DecodedBlock(header, buf.subarray(HEADER_SIZE));
  }

  private segmentAt(pos: number): Segment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.segments[mid] as Segment).base <= pos) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo] as Segment;
  }

  private readFd(file: string): number {
    let fd = this.readFds.get(file);
    if (fd === undefined) {
      fd = openSync(file, 'r');
      this.readFds.set(file, fd);
    }
    return fd;
  }

  private dropReadFd(file: string): void {
    const fd = this.readFds.get(file);
    if (fd !== undefined) closeSync(fd);
    this.readFds.delete(file);
  }

  private closeRetired(): void {
    if (this.syncing > 0 || this.poolWrites > 0) return;
    for (const fd of this.retiredFds) closeSync(fd);
    this.retiredFds = [];
  }

  private releaseFds(): void {
    for (const fd of this.readFds.values()) closeSync(fd);
    this.readFds.clear();
    if (this.writeFd >= 0) closeSync(this.writeFd);
    this.writeFd = -1;
  }

  /** Flushes and syncs pending decisions (unless read-only), then closes the files and releases the lock. */
  close(): void {
    if (this.closed) return;
    // A failed write or sync is thrown, after the files and the lock are released.
    let failure: unknown;
    if (!this.readOnly) {
      try {
        this.syncNow();
      } catch (err) {
        failure = err;
      }
    }
    this.closed = true;
    // A background fdatasync or write may still hold the write fd: it is closed when that settles, never under it.
    if ((this.syncing > 0 || this.poolWrites > 0) && this.writeFd >= 0) {
      this.retiredFds.push(this.writeFd);
      this.writeFd = -1;
    }
    this.closeRetired();
    this.releaseFds();
    if (this.lockFile !== undefined) unlinkSync(this.lockFile);
    if (failure !== undefined) throw failure;
  }
}

function checkString(s: unknown, field: string): void {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_STRING) {
    throw new StoreInputError(field, `${field} must be a string of 1 to ${MAX_STRING} characters`);
  }
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * One writer per log: a LOCK file holding the writer's pid. A lock left by a process that no longer exists (a crash)
 * is taken over; a live one is an error naming the pid.
 */
function takeLock(dir: string): string {
  const file = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new StoreInputError('dir', `${dir} is in use by process ${pid} (${file})`);
      }
      if (pid === process.pid) throw new StoreInputError('dir', `${dir} is already open in this process`);
      unlinkSync(file);
    }
  }
  throw new StoreInputError('dir', `could not lock ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
