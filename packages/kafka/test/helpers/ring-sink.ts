import { SharedRing, type RingConsumer, type RingProducer } from '@fraudstream/queue';
import { RECORD_SIZE, RecordViews, type DecodedRecord, type ValidationError } from '@fraudstream/schema';
import type { RecordSink } from '@fraudstream/sources';

/** A record read back from the ring, with its sequence number and (for string ids) the id set by the source. */
export interface RingRecord extends DecodedRecord {
  seq: number;
  slot: number;
}

/**
 * A RecordSink over a real SharedRing (the engine's ring type), with the consumer end for the test: the Kafka
 * source writes through claim/publish like into the engine, the test reads records in place and releases them.
 */
export class TestRingSink implements RecordSink {
  readonly ring: SharedRing;
  readonly views: RecordViews;
  readonly dueMs: Float64Array;
  readonly ids = new Map<number, string>();
  readonly rejects: ValidationError[] = [];
  private readonly producer: RingProducer;
  private readonly consumer: RingConsumer;

  constructor(capacity: number) {
    this.ring = SharedRing.create({ capacity, recordSize: RECORD_SIZE });
    this.producer = this.ring.producer();
    this.consumer = this.ring.consumer();
    this.views = new RecordViews(this.ring.buffer, this.ring.dataOffset, capacity);
    this.dueMs = new Float64Array(capacity);
  }

  get claimedSlot(): number {
    return this.producer.claimedSlot;
  }

  get claimedSeq(): number {
    return this.producer.claimedSeq;
  }

  claim(max: number): number {
    return this.producer.claim(max);
  }

  publish(n: number): void {
    this.producer.publish(n);
  }

  setId(slot: number, id: string): void {
    this.ids.set(slot, id);
  }

  reject(error: ValidationError): void {
    this.rejects.push(error);
  }

  /** Records published and not released. */
  depth(): number {
    return this.ring.depth();
  }

  /** Sequence number of the oldest record not yet released (every record below it was read). */
  get released(): number {
    return this.consumer.released;
  }

  /** Reads (decodes) and releases up to `max` published records, oldest first. */
  drain(max = Infinity): RingRecord[] {
    const out: RingRecord[] = [];
    const end = Math.min(this.consumer.published(), this.consumer.released + max);
    for (let seq = this.consumer.released; seq < end; seq++) {
      const slot = this.consumer.slotOf(seq);
      out.push({ ...this.views.decode(slot), seq, slot });
    }
    this.consumer.release(out.length);
    return out;
  }
}
