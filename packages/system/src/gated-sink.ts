import type { RecordSink } from '@fraudstream/sources';

/**
 * A source's view of the engine's sink with a gate in front: while `closed()` is true, `claim` reports the ring full
 * (0 slots), so the source holds back exactly as it does for a full ring (it retries, counts the time as held back,
 * and drops nothing). String transaction ids set through it are also kept by slot in `ids`, for consumers of decided
 * batches (the case writer) that need them while the batch's slots are still unused.
 */
export class GatedSink implements RecordSink {
  /** The string id last set for each slot (records whose integer id is NaN). */
  readonly ids: (string | undefined)[];
  /** Claims refused by the gate. */
  refused = 0;

  constructor(
    private readonly inner: RecordSink,
    private readonly closed: () => boolean,
  ) {
    this.ids = new Array<string | undefined>(inner.dueMs.length);
  }

  get views(): RecordSink['views'] {
    return this.inner.views;
  }

  get dueMs(): Float64Array {
    return this.inner.dueMs;
  }

  get claimedSlot(): number {
    return this.inner.claimedSlot;
  }

  get claimedSeq(): number {
    return this.inner.claimedSeq;
  }

  claim(max: number): number {
    if (this.closed()) {
      this.refused++;
      return 0;
    }
    return this.inner.claim(max);
  }

  publish(n: number): void {
    this.inner.publish(n);
  }

  setId(slot: number, id: string): void {
    this.ids[slot] = id;
    this.inner.setId(slot, id);
  }

  reject(error: Parameters<RecordSink['reject']>[0]): void {
    this.inner.reject(error);
  }
}
