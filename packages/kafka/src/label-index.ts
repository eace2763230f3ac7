import { txNumOf, type RecordViews } from '@fraudstream/schema';
import { KafkaOptionsRangeError } from './errors.js';

/** Default number of recent transactions whose labels can be resolved (~13 MB of arrays with the id table, plus the id strings). */
export const DEFAULT_LABEL_INDEX_SIZE = 262_144;

/**
 * What a label record needs from the transaction it labels (ingest sequence number, event time, card and terminal
 * keys), for the last `maxSize` transactions, found by transaction id. A label on the labels topic carries only
 * `{id, fraud}`; the scorer needs the keys to update card and terminal fraud state.
 *
 * ```
 *  entry e (ring order, oldest overwritten first):
 *    ids[e]    string | number  the id (a canonical integer id by its number)
 *    hashes[e] u32              hash of the id
 *    seq[e]    f64              ingest sequence number of the transaction
 *    ts[e]     f64              event time, epoch ms
 *    keys[4e .. 4e+3] u32       cardLo, cardHi, termLo, termHi
 *  table: open addressing, linear probing, at most 3/4 full; a cell holds an entry index or -1
 * ```
 * The id table is our own rather than a `Map`: every scored API request and every Kafka transaction remembers its id
 * and evicts the oldest, and a profile of the scoring API at 48k requests/s had `Map.prototype.set` and its lookup at
 * 5 % of the main thread (a fresh string hashed and a large table's entries allocated, deleted and rehashed); here an
 * insert is one pass over the id's characters and a probe in a typed array, with nothing allocated. Deletion shifts the
 * following cells back (no tombstones), so probes stay short however long the index runs.
 *
 * Memory is bounded: the oldest entry is forgotten when a new one needs its place; a label for a forgotten (or
 * never seen) id is unknown and counted by the caller.
 */
export class LabelIndex {
  readonly maxSize: number;
  private readonly ids: (string | number | undefined)[];
  private readonly hashes: Uint32Array;
  private readonly seq: Float64Array;
  private readonly ts: Float64Array;
  private readonly keys: Uint32Array;
  private readonly table: Int32Array;
  private readonly mask: number;
  private count = 0;
  private next = 0;

  constructor(maxSize = DEFAULT_LABEL_INDEX_SIZE) {
    if (!Number.isInteger(maxSize) || maxSize < 1 || maxSize > 2 ** 26) {
      throw new KafkaOptionsRangeError('options.maxLabelIndex must be an integer from 1 to 2^26');
    }
    this.maxSize = maxSize;
    this.ids = new Array<string | undefined>(maxSize);
    this.hashes = new Uint32Array(maxSize);
    this.seq = new Float64Array(maxSize);
    this.ts = new Float64Array(maxSize);
    this.keys = new Uint32Array(maxSize * 4);
    let cells = 2;
    while (cells * 3 < maxSize * 4) cells *= 2;
    this.table = new Int32Array(cells).fill(EMPTY);
    this.mask = cells - 1;
  }

  /** Transactions remembered now (ids that can be labelled). */
  get size(): number {
    return this.count;
  }

  /** Remembers the transaction just written into `slot` of `views` (its keys are read from the record). */
  remember(id: string, seq: number, tsMs: number, views: RecordViews, slot: number): void {
    const txNum = views.txNum(slot);
    const key = Number.isNaN(txNum) ? id : txNum;
    const h = typeof key === 'number' ? hashNumber(key) : hashString(key);
    const e = this.next;
    this.next = e + 1 === this.maxSize ? 0 : e + 1;
    const old = this.ids[e];
    // A redelivered id points at its newest entry; forget the old entry only if the table still points at it.
    if (old !== undefined) {
      const at = this.find(old, this.hashes[e]!);
      if (at !== -1 && this.table[at] === e) {
        this.removeAt(at);
        this.count--;
      }
    }
    this.ids[e] = key;
    this.hashes[e] = h;
    const at = this.find(key, h);
    if (at !== -1) {
      this.table[at] = e;
    } else {
      const { table, mask } = this;
      let i = h & mask;
      while (table[i] !== EMPTY) i = (i + 1) & mask;
      table[i] = e;
      this.count++;
    }
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
    return this.entryOf(id) !== -1;
  }

  /** Writes the label of transaction `id` into `slot`; false (nothing written) when the id is unknown. */
  writeLabel(id: string, fraud: boolean, views: RecordViews, slot: number, ingestMs: number): boolean {
    const e = this.entryOf(id);
    if (e === -1) return false;
    const k = e * 4;
    const keys = this.keys;
    views.writeLabel(slot, this.seq[e]!, this.ts[e]!, keys[k]!, keys[k + 1]!, keys[k + 2]!, keys[k + 3]!, fraud, ingestMs);
    return true;
  }

  /** The entry holding `id`, or -1. */
  private entryOf(id: string): number {
    const n = txNumOf(id);
    const at = Number.isNaN(n) ? this.find(id, hashString(id)) : this.find(n, hashNumber(n));
    return at === -1 ? -1 : this.table[at]!;
  }

  /** The table cell holding `key` (hash `h`), or -1. */
  private find(key: string | number, h: number): number {
    const { table, mask, ids, hashes } = this;
    let i = h & mask;
    for (;;) {
      const e = table[i]!;
      if (e === EMPTY) return -1;
      if (hashes[e] === h && ids[e] === key) return i;
      i = (i + 1) & mask;
    }
  }

  /** Empties cell `at`, moving back any later cell of the same probe run that could no longer be found. */
  private removeAt(at: number): void {
    const { table, mask, hashes } = this;
    let hole = at;
    let i = at;
    for (;;) {
      table[hole] = EMPTY;
      for (;;) {
        i = (i + 1) & mask;
        const e = table[i]!;
        if (e === EMPTY) return;
        const home = hashes[e]! & mask;
        // The entry stays when its home lies cyclically in (hole, i]: the probe from home reaches i without the hole.
        const stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
        if (!stays) {
          table[hole] = e;
          hole = i;
          break;
        }
      }
    }
  }
}

const EMPTY = -1;

/** FNV-1a over the UTF-16 code units, then a final mix (ids differing in their last characters spread apart). */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h);
}

/** A safe integer's two 32-bit halves, mixed. */
function hashNumber(n: number): number {
  const lo = n >>> 0;
  const hi = Math.floor(n / 4294967296) >>> 0;
  return fmix(lo ^ Math.imul(hi, 0x9e3779b1));
}

/** murmur3's 32-bit finaliser. */
function fmix(x: number): number {
  let h = x;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
