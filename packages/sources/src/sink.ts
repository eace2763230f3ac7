import type { RecordViews, ValidationError } from '@fraudstream/schema';

/**
 * Where sources write records: contiguous slots of a shared ring. This package owns the interface; the engine's
 * ring implements it structurally. A source writes a chunk as `claim(n)` -> write slots
 * `claimedSlot .. claimedSlot + k - 1` through `views` -> `publish(k)`; sources always publish every slot they
 * claimed, before claiming again.
 */
export interface RecordSink {
  /** Views over the ring's record region (slot-indexed). */
  readonly views: RecordViews;
  /**
   * When each slot's transaction was due, epoch ms (slot-indexed): a paced source writes its pacing schedule's time
   * (so latency counts the time it was held back by a full ring), an unpaced writer the time it wrote the record.
   */
  readonly dueMs: Float64Array;
  /** Claims up to `max` contiguous free slots; returns how many (0 = ring full: back off and retry later, never drop). */
  claim(max: number): number;
  /** Slot index of the first claimed slot (valid after claim() > 0). */
  readonly claimedSlot: number;
  /** Ingest sequence number of the first claimed slot (monotonic over the stream; slot = seq mod capacity). */
  readonly claimedSeq: number;
  /** Publishes the first n claimed slots to the consumer (n <= the claimed count). */
  publish(n: number): void;
  /** Records a string transaction id for a slot whose record has txNum NaN (ids that are not integers). */
  setId(slot: number, id: string): void;
  /** Counts an input rejected by validation (it never enters the ring); the engine adds it to ingested and rejected. */
  reject(error: ValidationError): void;
}

/** Checks that a value looks like a {@link RecordSink} (a TypeError names the first missing member). */
export function assertRecordSink(value: unknown, name: string): asserts value is RecordSink {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${name} must be a RecordSink`);
  const s = value as Record<string, unknown>;
  for (const m of ['claim', 'publish', 'setId', 'reject'] as const) {
    if (typeof s[m] !== 'function') throw new TypeError(`${name}.${m} must be a function`);
  }
  if (typeof s['views'] !== 'object' || s['views'] === null) throw new TypeError(`${name}.views must be RecordViews`);
  if (!(s['dueMs'] instanceof Float64Array)) throw new TypeError(`${name}.dueMs must be a Float64Array`);
}
