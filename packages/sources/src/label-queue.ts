import type { RecordViews } from '@fraudstream/schema';
import type { RecordSink } from './sink.js';

/** Default bound on pending labels (about 138 MB of typed arrays when full). */
export const DEFAULT_MAX_PENDING_LABELS = 4 * 1024 * 1024;
const INITIAL_CAPACITY = 4096;
/** Bytes per label in {@link LabelQueue.toBytes}. */
const LABEL_ENTRY_BYTES = 33;

/**
 * Labels waiting for their delay to pass, oldest first, as a growable ring of typed arrays (no object per label).
 * Each entry is the labelled transaction's ingest sequence number, event time, card and terminal keys and fraud flag;
 * its due time is `tsMs + delayMs` (the delay is the same for every entry, so it is not stored).
 *
 * ```
 *  index:   head                      head + size - 1   (mod capacity)
 *  seq      f64 | f64 | ...
 *  tsMs     f64 | f64 | ...
 *  keys     u32 x 4 (cardLo, cardHi, termLo, termHi) | ...
 *  fraud    u8  | u8  | ...
 * ```
 * Capacity doubles on demand up to `maxSize`; a source finding the queue `full` emits the oldest label early
 * instead of growing it further, so memory stays bounded whatever the label delay and the rate.
 */
export class LabelQueue {
  readonly maxSize: number;
  private seq: Float64Array;
  private ts: Float64Array;
  private keys: Uint32Array;
  private fraud: Uint8Array;
  private head = 0;
  private capacity: number;
  /** Entries waiting. */
  size = 0;

  constructor(maxSize = DEFAULT_MAX_PENDING_LABELS) {
    this.maxSize = maxSize;
    this.capacity = Math.min(INITIAL_CAPACITY, maxSize);
    this.seq = new Float64Array(this.capacity);
    this.ts = new Float64Array(this.capacity);
    this.keys = new Uint32Array(this.capacity * 4);
    this.fraud = new Uint8Array(this.capacity);
  }

  /** True when another push would exceed `maxSize`: emit the oldest first. */
  get full(): boolean {
    return this.size >= this.maxSize;
  }

  /** Event time of the oldest entry (Infinity when empty). */
  headTs(): number {
    return this.size === 0 ? Infinity : this.ts[this.head]!;
  }

  /** Appends a label; the caller checks {@link full} first. */
  push(seq: number, tsMs: number, cardLo: number, cardHi: number, termLo: number, termHi: number, fraud: number): void {
    if (this.size === this.capacity) this.grow();
    let at = this.head + this.size;
    if (at >= this.capacity) at -= this.capacity;
    this.seq[at] = seq;
    this.ts[at] = tsMs;
    const k = at * 4;
    this.keys[k] = cardLo;
    this.keys[k + 1] = cardHi;
    this.keys[k + 2] = termLo;
    this.keys[k + 3] = termHi;
    this.fraud[at] = fraud;
    this.size++;
  }

  /** Writes the oldest entry as a label record into `slot` and removes it. */
  writeHead(views: RecordViews, slot: number, ingestMs: number): void {
    const h = this.head;
    const k = h * 4;
    views.writeLabel(
      slot,
      this.seq[h]!,
      this.ts[h]!,
      this.keys[k]!,
      this.keys[k + 1]!,
      this.keys[k + 2]!,
      this.keys[k + 3]!,
      this.fraud[h] === 1,
      ingestMs,
    );
    this.head = h + 1 === this.capacity ? 0 : h + 1;
    this.size--;
  }

  /**
   * The waiting labels as bytes, oldest first, for a checkpoint: per entry seq (f64), event time (f64), the four key
   * words (u32) and the fraud flag (u8), 33 bytes, after a u32 count. `seqBase` is subtracted from each seq (the
   * ring sequence number of the checkpoint's barrier), so the seqs stay meaningful relative to a resumed stream.
   */
  toBytes(seqBase = 0): Uint8Array {
    const out = new Uint8Array(4 + this.size * LABEL_ENTRY_BYTES);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, this.size, true);
    for (let i = 0; i < this.size; i++) {
      let at = this.head + i;
      if (at >= this.capacity) at -= this.capacity;
      const o = 4 + i * LABEL_ENTRY_BYTES;
      dv.setFloat64(o, this.seq[at]! - seqBase, true);
      dv.setFloat64(o + 8, this.ts[at]!, true);
      for (let k = 0; k < 4; k++) dv.setUint32(o + 16 + k * 4, this.keys[at * 4 + k]!, true);
      out[o + 32] = this.fraud[at]!;
    }
    return out;
  }

  /**
   * Appends the labels of {@link toBytes} (a resumed source's queue); returns the bytes read. Throws a RangeError
   * naming `name` when the bytes are short or hold more labels than `maxSize`.
   */
  loadBytes(bytes: Uint8Array, name: string): number {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < 4) throw new RangeError(`${name}: the label queue is truncated`);
    const n = dv.getUint32(0, true);
    const len = 4 + n * LABEL_ENTRY_BYTES;
    if (bytes.byteLength < len) throw new RangeError(`${name}: the label queue is truncated (${n} labels need ${len} bytes)`);
    if (this.size + n > this.maxSize) throw new RangeError(`${name}: ${n} pending labels exceed the queue's bound ${this.maxSize}`);
    for (let i = 0; i < n; i++) {
      const o = 4 + i * LABEL_ENTRY_BYTES;
      this.push(
        dv.getFloat64(o, true),
        dv.getFloat64(o + 8, true),
        dv.getUint32(o + 16, true),
        dv.getUint32(o + 20, true),
        dv.getUint32(o + 24, true),
        dv.getUint32(o + 28, true),
        bytes[o + 32]!,
      );
    }
    return len;
  }

  private grow(): void {
    const cap = Math.min(this.capacity * 2, this.maxSize);
    const seq = new Float64Array(cap);
    const ts = new Float64Array(cap);
    const keys = new Uint32Array(cap * 4);
    const fraud = new Uint8Array(cap);
    for (let i = 0; i < this.size; i++) {
      let from = this.head + i;
      if (from >= this.capacity) from -= this.capacity;
      seq[i] = this.seq[from]!;
      ts[i] = this.ts[from]!;
      keys.set(this.keys.subarray(from * 4, from * 4 + 4), i * 4);
      fraud[i] = this.fraud[from]!;
    }
    this.seq = seq;
    this.ts = ts;
    this.keys = keys;
    this.fraud = fraud;
    this.capacity = cap;
    this.head = 0;
  }
}

/** Most slots claimed at once when flushing. */
const FLUSH_CHUNK = 8192;

/**
 * Writes every queued label into the sink (the input has ended, so no later transaction will pass them); stops early
 * when the sink is full (the queue then still holds the rest). Returns how many it wrote.
 */
export function writeAllLabels(queue: LabelQueue, sink: RecordSink): number {
  let n = 0;
  while (queue.size > 0) {
    const k = sink.claim(Math.min(queue.size, FLUSH_CHUNK));
    if (k === 0) break;
    const slot0 = sink.claimedSlot;
    const ingestMs = performance.timeOrigin + performance.now();
    for (let s = 0; s < k; s++) queue.writeHead(sink.views, slot0 + s, ingestMs);
    sink.publish(k);
    n += k;
  }
  return n;
}
