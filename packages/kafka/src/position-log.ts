/** Default number of (sequence, partition, offset) entries kept; older ones are dropped (see {@link PositionLog}). */
export const DEFAULT_POSITION_LOG_SIZE = 65_536;

/**
 * Maps the ring's ingest sequence numbers back to Kafka offsets, so a caller that knows which records are durable
 * ("every record below sequence S is decided and covered") can commit exactly the offsets they came from.
 *
 * Each entry says: once every record below `endSeq` is durable, partition `tp` may be committed at `nextOffset`
 * (Kafka's committed offset = the next one to read). Entries are appended in sequence order, one per partition
 * touched by a published chunk (messages that took no slot, like dead-lettered ones, are covered by the entry of
 * their chunk). A ring of parallel arrays: when full, the oldest entry is dropped, which only delays a commit (a
 * later entry of the same partition carries a higher offset), never commits too far.
 */
export class PositionLog {
  private readonly endSeq: Float64Array;
  private readonly tp: Int32Array;
  private readonly nextOffset: Float64Array;
  private head = 0;
  /** Entries held. */
  size = 0;
  /** Entries dropped because the log was full. */
  dropped = 0;

  constructor(readonly capacity = DEFAULT_POSITION_LOG_SIZE) {
    this.endSeq = new Float64Array(capacity);
    this.tp = new Int32Array(capacity);
    this.nextOffset = new Float64Array(capacity);
  }

  /** Appends an entry (`endSeq` never decreases between calls). */
  record(endSeq: number, tp: number, nextOffset: number): void {
    if (this.size === this.capacity) {
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
      this.size--;
      this.dropped++;
    }
    let at = this.head + this.size;
    if (at >= this.capacity) at -= this.capacity;
    this.endSeq[at] = endSeq;
    this.tp[at] = tp;
    this.nextOffset[at] = nextOffset;
    this.size++;
  }

  /**
   * Removes the entries covered by `releasedSeq` (every record below it is durable) and returns, per partition
   * index, the highest offset that may now be committed.
   */
  advance(releasedSeq: number): Map<number, number> {
    const out = new Map<number, number>();
    while (this.size > 0 && this.endSeq[this.head]! <= releasedSeq) {
      const tp = this.tp[this.head]!;
      const off = this.nextOffset[this.head]!;
      if ((out.get(tp) ?? -1) < off) out.set(tp, off);
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
      this.size--;
    }
    return out;
  }
}
