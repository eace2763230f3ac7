import { RECORD_SIZE, RecordViews } from '@fraudstream/schema';

/** A growable array of 64-byte records over an ArrayBuffer (offline tools: file reads for train/backtest). */
export class RecordBuffer {
  views: RecordViews;
  /** Records written (slots 0 .. count - 1). */
  count = 0;

  constructor(capacity = 1024) {
    this.views = new RecordViews(new ArrayBuffer(Math.max(1, capacity) * RECORD_SIZE));
  }

  /** Returns the slot for the next record, growing (doubling) the buffer when it is full. */
  append(): number {
    if (this.count === this.views.slots) {
      const grown = new RecordViews(new ArrayBuffer(this.views.slots * 2 * RECORD_SIZE));
      grown.u8.set(this.views.u8);
      this.views = grown;
    }
    return this.count++;
  }

  /** Views over exactly the records written (shares the buffer). */
  trimmed(): RecordViews {
    return new RecordViews(this.views.u8.buffer, 0, this.count);
  }
}

/** A growable Uint8Array / Float64Array pair of per-item columns. */
export class GrowableColumn<T extends Uint8Array | Float64Array> {
  data: T;
  length = 0;
  private readonly make: (n: number) => T;

  constructor(make: (n: number) => T, capacity = 1024) {
    this.make = make;
    this.data = make(capacity);
  }

  /** Appends a value. */
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  /** A copy of exactly the values pushed. */
  toArray(): T {
    return this.data.slice(0, this.length) as T;
  }
}
