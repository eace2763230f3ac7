import { RECORD_SIZE, RecordViews, type DecodedRecord, type ValidationError } from '@fraudstream/schema';
import { RecordBuffer, type RecordSink } from '../../src/index.js';

/** Options of {@link ArraySink}. */
export interface ArraySinkOptions {
  /** Slots in the ring. */
  capacity: number;
  /** Consume everything at each publish (an always-keeping-up consumer). Default true. */
  autoDrain?: boolean;
  /** Copy consumed records into `collected` (default true; off for speed measurements). */
  collect?: boolean;
}

/**
 * Test-only RecordSink over a plain ArrayBuffer ring (single thread): claim/publish like the engine's ring, plus a
 * consumer side (`drain`) that copies records out in sequence order.
 */
export class ArraySink implements RecordSink {
  readonly views: RecordViews;
  readonly dueMs: Float64Array;
  readonly capacity: number;
  /** Due times of the consumed records, in sequence order (when collecting). */
  readonly dues: number[] = [];
  claimedSlot = 0;
  claimedSeq = 0;
  /** Published (head) and consumed (tail) counts. */
  head = 0;
  tail = 0;
  readonly collected = new RecordBuffer(1024);
  /** seq -> string id, from setId. */
  readonly ids = new Map<number, string>();
  readonly rejects: ValidationError[] = [];
  claims = 0;
  private claimed = 0;
  private readonly autoDrain: boolean;
  private readonly collect: boolean;

  constructor(options: ArraySinkOptions) {
    this.capacity = options.capacity;
    this.views = new RecordViews(new ArrayBuffer(options.capacity * RECORD_SIZE));
    this.dueMs = new Float64Array(options.capacity);
    this.autoDrain = options.autoDrain ?? true;
    this.collect = options.collect ?? true;
  }

  claim(max: number): number {
    if (this.claimed !== 0) throw new Error('claim() while slots are claimed and not published');
    const free = this.capacity - (this.head - this.tail);
    const slot = this.head % this.capacity;
    const n = Math.min(max, free, this.capacity - slot);
    if (n <= 0) return 0;
    this.claims++;
    this.claimedSlot = slot;
    this.claimedSeq = this.head;
    this.claimed = n;
    return n;
  }

  publish(n: number): void {
    if (n > this.claimed) throw new Error(`publish(${n}) beyond the ${this.claimed} claimed`);
    if (n !== this.claimed) throw new Error('sources must publish every claimed slot');
    this.head += n;
    this.claimed = 0;
    if (this.autoDrain) this.drain();
  }

  setId(slot: number, id: string): void {
    this.ids.set(this.claimedSeq + (slot - this.claimedSlot), id);
  }

  reject(error: ValidationError): void {
    this.rejects.push(error);
  }

  /** Consumes up to `max` published records (copying them to `collected` when collecting); returns how many. */
  drain(max = Infinity): number {
    const n = Math.min(max, this.head - this.tail);
    if (this.collect) {
      for (let i = 0; i < n; i++) {
        const at = this.collected.append();
        this.collected.views.copyFrom(this.views, (this.tail + i) % this.capacity, at);
        this.dues.push(this.dueMs[(this.tail + i) % this.capacity] ?? Number.NaN);
      }
    }
    this.tail += n;
    return n;
  }

  /** Collected records decoded (sequence number = index). */
  decoded(): DecodedRecord[] {
    const out: DecodedRecord[] = [];
    for (let i = 0; i < this.collected.count; i++) out.push(this.collected.views.decode(i));
    return out;
  }
}
