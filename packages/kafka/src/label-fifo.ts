import { KafkaOptionsRangeError } from './errors.js';

const INITIAL = 1024;

/**
 * Labels waiting for their delay, oldest first, as a growable ring of parallel arrays (id, event time, fraud flag),
 * bounded by `maxSize`: a producer finding it full sends the oldest label early instead of growing it further.
 */
export class LabelFifo {
  readonly maxSize: number;
  private ids: string[];
  private keys: string[];
  private ts: Float64Array;
  private fraud: Uint8Array;
  private head = 0;
  private capacity: number;
  /** Labels waiting. */
  size = 0;

  constructor(maxSize: number) {
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new KafkaOptionsRangeError('maxPendingLabels must be a positive integer');
    this.maxSize = maxSize;
    this.capacity = Math.min(INITIAL, maxSize);
    this.ids = new Array<string>(this.capacity);
    this.keys = new Array<string>(this.capacity);
    this.ts = new Float64Array(this.capacity);
    this.fraud = new Uint8Array(this.capacity);
  }

  /** True when the next push would exceed `maxSize`. */
  get full(): boolean {
    return this.size >= this.maxSize;
  }

  /** Event time of the oldest label (Infinity when empty). */
  headTs(): number {
    return this.size === 0 ? Infinity : this.ts[this.head]!;
  }

  /** Appends a label with its message key (default the id; the caller checks {@link full} and pops first). */
  push(id: string, tsMs: number, fraud: boolean, key: string = id): void {
    if (this.size === this.capacity) this.grow();
    let at = this.head + this.size;
    if (at >= this.capacity) at -= this.capacity;
    this.ids[at] = id;
    this.keys[at] = key;
    this.ts[at] = tsMs;
    this.fraud[at] = fraud ? 1 : 0;
    this.size++;
  }

  /** Removes the oldest label and hands it to `out`. */
  pop(out: (id: string, fraud: boolean, key: string) => void): void {
    const h = this.head;
    const id = this.ids[h]!;
    const key = this.keys[h]!;
    const fraud = this.fraud[h] === 1;
    this.ids[h] = '';
    this.keys[h] = '';
    this.head = h + 1 === this.capacity ? 0 : h + 1;
    this.size--;
    out(id, fraud, key);
  }

  private grow(): void {
    const cap = Math.min(this.capacity * 2, this.maxSize);
    const ids = new Array<string>(cap);
    const keys = new Array<string>(cap);
    const ts = new Float64Array(cap);
    const fraud = new Uint8Array(cap);
    for (let i = 0; i < this.size; i++) {
      let from = this.head + i;
      if (from >= this.capacity) from -= this.capacity;
      ids[i] = this.ids[from]!;
      keys[i] = this.keys[from]!;
      ts[i] = this.ts[from]!;
      fraud[i] = this.fraud[from]!;
    }
    this.ids = ids;
    this.keys = keys;
    this.ts = ts;
    this.fraud = fraud;
    this.capacity = cap;
    this.head = 0;
  }
}
