import { txNumOf, type RecordViews } from '@fraudstream/schema';
import { KafkaOptionsRangeError } from './errors.js';

/** Default number of recent transactions whose labels can be resolved (~10 MB of arrays, plus the id map). */
export const DEFAULT_LABEL_INDEX_SIZE = 262_144;

/**
 * What a label record needs from the transaction it labels (ingest sequence number, event time, card and terminal
 * keys), for the last `maxSize` transactions, found by transaction id. A label on the labels topic carries only
 * `{id, fraud}`; the scorer needs the keys to update card and terminal fraud state.
 *
 * ```
 *  entry e (ring order, oldest overwritten first):
 *    ids[e]   string       (also the key of `byId`, which maps back to e)
 *    seq[e]   f64          ingest sequence number of the transaction
 *    ts[e]    f64          event time, epoch ms
 *    keys[4e .. 4e+3] u32  cardLo, cardHi, termLo, termHi
 * ```
 * Memory is bounded: the oldest entry is forgotten when a new one needs its place; a label for a forgotten (or
 * never seen) id is unknown and counted by the caller.
 */
export class LabelIndex {
  readonly maxSize: number;
  // Keyed by the numeric id when the id is a canonical integer (the record's txNum; hashing a number is much cheaper
  // than hashing a fresh string per transaction), else by the string.
  private readonly byId = new Map<string | number, number>();
  private readonly ids: (string | number | undefined)[];
  private readonly seq: Float64Array;
  private readonly ts: Float64Array;
  private readonly keys: Uint32Array;
  private next = 0;

  constructor(maxSize = DEFAULT_LABEL_INDEX_SIZE) {
    if (!Number.isInteger(maxSize) || maxSize < 1 || maxSize > 2 ** 26) {
      throw new KafkaOptionsRangeError('options.maxLabelIndex must be an integer from 1 to 2^26');
    }
    this.maxSize = maxSize;
    this.ids = new Array<string | undefined>(maxSize);
    this.seq = new Float64Array(maxSize);
    this.ts = new Float64Array(maxSize);
    this.keys = new Uint32Array(maxSize * 4);
  }

  /** Transactions remembered now. */
  get size(): number {
    return this.byId.size;
  }

  /** Remembers the transaction just written into `slot` of `views` (its keys are read from the record). */
  remember(id: string, seq: number, tsMs: number, views: RecordViews, slot: number): void {
    const txNum = views.txNum(slot);
    const key = Number.isNaN(txNum) ? id : txNum;
    const e = this.next;
    this.next = e + 1 === this.maxSize ? 0 : e + 1;
    const old = this.ids[e];
    // A redelivered id points at its newest entry; forget the old entry only if the map still points at it.
    if (old !== undefined && this.byId.get(old) === e) this.byId.delete(old);
    this.ids[e] = key;
    this.byId.set(key, e);
    this.seq[e] = seq;
    this.ts[e] = tsMs;
    const k = e * 4;
    const b4 = slot * 16;
    const u32 = views.u32;
    this.keys[k] = u32[b4 + 8]!;
    this.keys[k + 1] = u32[b4 + 9]!;
    this.keys[k + 2] = u32[b4 + 10]!;
    this.keys[k + 3] = u32[b4 + 11]!;
  }

  /** True when a label for `id` can be written. */
  has(id: string): boolean {
    return this.byId.has(keyOf(id));
  }

  /** Writes the label of transaction `id` into `slot`; false (nothing written) when the id is unknown. */
  writeLabel(id: string, fraud: boolean, views: RecordViews, slot: number, ingestMs: number): boolean {
    const e = this.byId.get(keyOf(id));
    if (e === undefined) return false;
    const k = e * 4;
    const keys = this.keys;
    views.writeLabel(slot, this.seq[e]!, this.ts[e]!, keys[k]!, keys[k + 1]!, keys[k + 2]!, keys[k + 3]!, fraud, ingestMs);
    return true;
  }
}

function keyOf(id: string): string | number {
  const n = txNumOf(id);
  return Number.isNaN(n) ? id : n;
}
