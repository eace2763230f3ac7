import { RingOptionsError } from './errors.js';

/**
 * A bounded single-producer / single-consumer ring of fixed-size records in one SharedArrayBuffer, so producer and
 * consumer may sit on different threads and the records themselves are never copied between them.
 *
 * ```
 *  byte 0              64             128            192            256
 *       +--------------+--------------+--------------+--------------+---------------------------------------+
 *       | head (i32)   | tail (i32)   | capacity,    | (reserved)   | slot 0 | slot 1 | ... | slot cap-1    |
 *       | + padding    | + padding    | recordSize   |              |  recordSize bytes each               |
 *       +--------------+--------------+--------------+--------------+---------------------------------------+
 *        written only   written only   written once                  data region (HEADER_BYTES offset)
 *        by producer    by consumer    at creation
 * ```
 *
 * `head` counts records ever published and `tail` records ever released, both stored wrapped to int32 (each side
 * keeps the unwrapped count locally, so sequence numbers stay monotonic past 2^32). Slot of sequence `s` is
 * `s & (capacity - 1)`. Free space is `capacity - (head - tail)`: when it is 0 the producer is told (claim returns
 * 0) and must wait; nothing is ever overwritten. head and tail live on separate cache lines to avoid false sharing.
 * There is one Atomics store (and one notify) per published or released batch, never per record.
 */
export const HEADER_BYTES = 256;
const HEAD = 0;
const TAIL = 16;
const CAPACITY = 32;
const RECORD_SIZE = 33;

/** Options of {@link SharedRing.create}. */
export interface RingOptions {
  /** Number of record slots, a power of two from 2 to 2^26. */
  capacity: number;
  /** Bytes per record, a positive multiple of 8. */
  recordSize: number;
}

/** The shared memory of one ring; pass `buffer` to another thread and call {@link SharedRing.attach} there. */
export class SharedRing {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly recordSize: number;
  /** Byte offset of slot 0 in `buffer`. */
  readonly dataOffset = HEADER_BYTES;
  /** The ring's counters (Int32 view of the header). */
  readonly header: Int32Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.capacity = this.header[CAPACITY] ?? 0;
    this.recordSize = this.header[RECORD_SIZE] ?? 0;
  }

  /** Allocates a new ring. */
  static create(options: RingOptions): SharedRing {
    const { capacity, recordSize } = options;
    if (!Number.isInteger(capacity) || capacity < 2 || capacity > 2 ** 26 || (capacity & (capacity - 1)) !== 0) {
      throw new RingOptionsError('options.capacity must be a power of two from 2 to 2^26');
    }
    if (!Number.isInteger(recordSize) || recordSize <= 0 || recordSize % 8 !== 0) {
      throw new RingOptionsError('options.recordSize must be a positive multiple of 8');
    }
    const buffer = new SharedArrayBuffer(HEADER_BYTES + capacity * recordSize);
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    header[CAPACITY] = capacity;
    header[RECORD_SIZE] = recordSize;
    return new SharedRing(buffer);
  }

  /** Views an existing ring (created on any thread) from this thread. */
  static attach(buffer: SharedArrayBuffer): SharedRing {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER_BYTES) {
      throw new RingOptionsError('buffer must be the SharedArrayBuffer of a SharedRing');
    }
    return new SharedRing(buffer);
  }

  /** Records published and not yet released, as seen now from any thread. */
  depth(): number {
    return (Atomics.load(this.header, HEAD) - Atomics.load(this.header, TAIL)) | 0;
  }

  /** The producing end. Create exactly one, on the producing thread. */
  producer(): RingProducer {
    return new RingProducer(this);
  }

  /** The consuming end. Create exactly one, on the consuming thread. */
  consumer(): RingConsumer {
    return new RingConsumer(this);
  }
}

/** Catches up an unwrapped local count with a wrapped int32 counter that moved forward by less than 2^31. */
function advance(local: number, wrapped: number): number {
  return local + ((wrapped - local) | 0);
}

/** The producing end of a {@link SharedRing}: claim contiguous slots, write them in place, publish. */
export class RingProducer {
  readonly ring: SharedRing;
  /** Slot index of the first slot of the last successful {@link claim}. */
  claimedSlot = 0;
  /** Sequence number of that slot (monotonic over the ring's life). */
  claimedSeq = 0;
  private head: number;
  private tail: number;
  private claimed = 0;
  private readonly mask: number;
  private readonly bytes: Uint8Array;

  constructor(ring: SharedRing) {
    this.ring = ring;
    this.mask = ring.capacity - 1;
    this.head = Atomics.load(ring.header, HEAD);
    this.tail = this.head + (((Atomics.load(ring.header, TAIL) - this.head) | 0));
    this.bytes = new Uint8Array(ring.buffer);
  }

  /** Sequence number the next published record will get. */
  get nextSeq(): number {
    return this.head;
  }

  /** Free slots now (re-reads the consumer's tail). */
  free(): number {
    this.tail = advance(this.tail, Atomics.load(this.ring.header, TAIL));
    return this.ring.capacity - (this.head - this.tail);
  }

  /**
   * Claims up to `max` free slots that are contiguous in memory (a claim stops at the end of the buffer; claim again
   * for the rest). Returns how many were claimed; 0 means the ring is full: back off, never overwrite.
   */
  claim(max: number): number {
    let free = this.ring.capacity - (this.head - this.tail);
    if (free < max) free = this.free();
    const slot = this.head & this.mask;
    const n = Math.min(max, free, this.ring.capacity - slot);
    this.claimed = n > 0 ? n : 0;
    this.claimedSlot = slot;
    this.claimedSeq = this.head;
    return this.claimed;
  }

  /** Makes the first `n` claimed slots visible to the consumer, with one atomic store and one notify. */
  publish(n: number): void {
    if (n > this.claimed || n < 0) throw new RangeError(`publish(${n}) exceeds the ${this.claimed} claimed slots`);
    if (n === 0) return;
    this.head += n;
    this.claimed = 0;
    Atomics.store(this.ring.header, HEAD, this.head | 0);
    Atomics.notify(this.ring.header, HEAD);
  }

  /**
   * Copies up to `count` records from `src` (packed, recordSize bytes each) into the ring and publishes them.
   * Returns how many were pushed: fewer than `count` only when the ring is full (backpressure).
   */
  pushBatch(src: Uint8Array, count: number): number {
    const size = this.ring.recordSize;
    let pushed = 0;
    while (pushed < count) {
      const n = this.claim(count - pushed);
      if (n === 0) break;
      const from = pushed * size;
      this.bytes.set(src.subarray(from, from + n * size), this.ring.dataOffset + this.claimedSlot * size);
      this.publish(n);
      pushed += n;
    }
    return pushed;
  }

  /** Resolves true when the consumer has released space since the call, false after `timeoutMs`. */
  async waitForSpace(timeoutMs: number): Promise<boolean> {
    const seen = Atomics.load(this.ring.header, TAIL);
    if (this.ring.capacity - ((this.head - seen) | 0) > 0) return true;
    const r = Atomics.waitAsync(this.ring.header, TAIL, seen, timeoutMs);
    return (r.async ? await r.value : r.value) !== 'timed-out';
  }
}

/** The consuming end of a {@link SharedRing}: see what is published, read it in place, release it. */
export class RingConsumer {
  readonly ring: SharedRing;
  private head: number;
  private tail: number;
  private readonly mask: number;
  private readonly bytes: Uint8Array;

  constructor(ring: SharedRing) {
    this.ring = ring;
    this.mask = ring.capacity - 1;
    this.tail = Atomics.load(ring.header, TAIL);
    this.head = this.tail + ((Atomics.load(ring.header, HEAD) - this.tail) | 0);
    this.bytes = new Uint8Array(ring.buffer);
  }

  /** Sequence number one past the last published record (re-reads the producer's head). */
  published(): number {
    this.head = advance(this.head, Atomics.load(this.ring.header, HEAD));
    return this.head;
  }

  /** Sequence number of the oldest record not yet released. */
  get released(): number {
    return this.tail;
  }

  /** Slot index of a sequence number. */
  slotOf(seq: number): number {
    return seq & this.mask;
  }

  /** Releases the `n` oldest records back to the producer, with one atomic store and one notify. */
  release(n: number): void {
    if (n < 0 || this.tail + n > this.head) throw new RangeError(`release(${n}) exceeds the published records`);
    if (n === 0) return;
    this.tail += n;
    Atomics.store(this.ring.header, TAIL, this.tail | 0);
    Atomics.notify(this.ring.header, TAIL);
  }

  /**
   * Copies up to `max` of the oldest published records into `dst` (packed) and releases them. Returns how many.
   */
  popBatch(dst: Uint8Array, max: number): number {
    const size = this.ring.recordSize;
    let popped = 0;
    while (popped < max) {
      const available = this.published() - this.tail;
      if (available === 0) break;
      const slot = this.tail & this.mask;
      const n = Math.min(max - popped, available, this.ring.capacity - slot);
      const start = this.ring.dataOffset + slot * size;
      dst.set(this.bytes.subarray(start, start + n * size), popped * size);
      this.release(n);
      popped += n;
    }
    return popped;
  }

  /** Resolves true when records are published after the call (or already waiting), false after `timeoutMs`. */
  async waitForData(timeoutMs: number): Promise<boolean> {
    const seen = Atomics.load(this.ring.header, HEAD);
    if (((seen - this.tail) | 0) > 0) return true;
    const r = Atomics.waitAsync(this.ring.header, HEAD, seen, timeoutMs);
    return (r.async ? await r.value : r.value) !== 'timed-out';
  }

  /** Blocks this thread (never the main thread) until data is published or `timeoutMs` passes. */
  waitForDataSync(timeoutMs: number): boolean {
    const seen = Atomics.load(this.ring.header, HEAD);
    if (((seen - this.tail) | 0) > 0) return true;
    return Atomics.wait(this.ring.header, HEAD, seen, timeoutMs) !== 'timed-out';
  }
}
