import { RecordViews, type ValidationError } from '@fraudstream/schema';
import type { RingProducer, SharedRing } from '@fraudstream/queue';

/**
 * The engine's input end: implements the sources package's `RecordSink` over the shared ring, so a source writes
 * records straight into shared memory. Lives on the thread of the source that writes (the main thread here).
 */
export class RingSink {
  readonly views: RecordViews;
  /**
   * When each slot's transaction was due, epoch ms: a paced source writes the time its pacing schedule gave the
   * transaction (so time spent waiting for ring space counts as latency); other writers write the ingest time.
   */
  readonly dueMs: Float64Array;
  private readonly producer: RingProducer;

  constructor(
    ring: SharedRing,
    /** String ids by slot for records whose txNum is NaN. */
    private readonly ids: (string | undefined)[],
    private readonly onPublish: () => void,
    private readonly onReject: (error: ValidationError) => void,
  ) {
    this.producer = ring.producer();
    this.views = new RecordViews(ring.buffer, ring.dataOffset, ring.capacity);
    this.dueMs = new Float64Array(ring.capacity);
  }

  get claimedSlot(): number {
    return this.producer.claimedSlot;
  }

  get claimedSeq(): number {
    return this.producer.claimedSeq;
  }

  /** Claims up to `max` contiguous free slots; 0 means the ring is full (backpressure). */
  claim(max: number): number {
    return this.producer.claim(max);
  }

  /** Publishes the first `n` claimed slots and wakes the engine. */
  publish(n: number): void {
    this.producer.publish(n);
    this.onPublish();
  }

  setId(slot: number, id: string): void {
    this.ids[slot] = id;
  }

  reject(error: ValidationError): void {
    this.onReject(error);
  }

  /** Free slots now. */
  free(): number {
    return this.producer.free();
  }

  /** Resolves when the engine has released slots (or after timeoutMs). */
  waitForSpace(timeoutMs: number): Promise<boolean> {
    return this.producer.waitForSpace(timeoutMs);
  }
}
