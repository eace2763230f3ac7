import { ResultStatus, type CardRefHasher, type RecordViews, type ResultViews } from '@fraudstream/schema';
import { stageDecisionColumns } from '@fraudstream/scorer';

/**
 * The decision log's columns of each decided batch, filled by the scoring worker that scored it (it already holds the
 * batch in shared memory and is otherwise waiting for the engine's thread), so the engine's thread only copies whole
 * runs of columns into the log's block (`DecisionLog.addRun`) instead of reading, hashing and checking every decision.
 *
 * One shared region of `capacity` slots. For a batch at ring slots `start .. start + count - 1` the worker writes its
 * transactions (label records left out), compacted from index `start` on: event time, integer transaction id (NaN
 * for a string id), keyed card reference, score, decision code, a flag and the source slot. A row is flagged when the
 * log must build it on the engine's thread the slow way: an alert (its reasons are named there), a string id, a
 * record the scorer found invalid, or a value the log would refuse (so its error is raised as before). `staged[start]`
 * holds the number of transactions + 1 once the batch is staged (0: not staged; the engine then falls back to reading
 * the records), and `generation[start]` the one scorer generation that decided them all.
 */
export class DecisionColumns {
  readonly ts: Float64Array;
  readonly txNum: Float64Array;
  readonly card: Uint32Array;
  readonly score: Float32Array;
  readonly slotOf: Int32Array;
  readonly staged: Int32Array;
  readonly generation: Uint32Array;
  readonly decision: Uint8Array;
  readonly flag: Uint8Array;
  /** The whole region as bytes (what the Rust stager writes). */
  readonly bytes: Uint8Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly capacity: number,
  ) {
    if (buffer.byteLength < DecisionColumns.bytes(capacity)) throw new RangeError('the decision columns buffer is too small for its capacity');
    const c = capacity;
    this.ts = new Float64Array(buffer, 0, c);
    this.txNum = new Float64Array(buffer, 8 * c, c);
    this.card = new Uint32Array(buffer, 16 * c, 2 * c);
    this.score = new Float32Array(buffer, 24 * c, c);
    this.slotOf = new Int32Array(buffer, 28 * c, c);
    this.staged = new Int32Array(buffer, 32 * c, c);
    this.generation = new Uint32Array(buffer, 36 * c, c);
    this.decision = new Uint8Array(buffer, 40 * c, c);
    this.flag = new Uint8Array(buffer, 41 * c, c);
    this.bytes = new Uint8Array(buffer, 0, DecisionColumns.bytes(c));
  }

  /** Bytes of the region for `capacity` slots. */
  static bytes(capacity: number): number {
    return 42 * capacity;
  }

  /** A new zeroed region for `capacity` slots. */
  static create(capacity: number): DecisionColumns {
    return new DecisionColumns(new SharedArrayBuffer(DecisionColumns.bytes(capacity)), capacity);
  }

  /**
   * Worker side, after the batch is scored: fills the columns of slots `start .. start + count` in Rust (the addon's
   * `stageDecisionColumns`, a few ns a decision, where {@link stage} costs ~200 ns in JS) and marks the batch staged,
   * or leaves it unstaged when more than one scorer generation decided it. `key` is `cardRefKey(secret)`.
   */
  stageNative(records: Uint8Array, results: Uint8Array, key: Uint8Array, start: number, count: number): void {
    const n = stageDecisionColumns(records, results, this.bytes, this.capacity, start, count, key);
    // Published with the batch's DONE state (a release store after this); the store here only orders it.
    Atomics.store(this.staged, start, n < 0 ? 0 : n + 1);
  }

  /**
   * Worker side, the JS form of {@link stageNative} (the reference the Rust stager is tested against): fills the columns of slots `start .. start + count - 1` and marks the batch
   * staged. A batch decided by more than one scorer generation is left unstaged (the engine reads its records).
   */
  stage(records: RecordViews, results: ResultViews, hasher: CardRefHasher, start: number, count: number): void {
    const { ts, txNum, card, score, decision, flag, slotOf } = this;
    let n = 0;
    let gen = -1;
    for (let s = start; s < start + count; s++) {
      if (records.isLabel(s)) continue;
      const g = results.generation(s);
      if (gen < 0) gen = g;
      else if (g !== gen) {
        Atomics.store(this.staged, start, 0);
        return;
      }
      const i = start + n++;
      const t = records.timestampMs(s);
      const id = records.txNum(s);
      const sc = results.score(s);
      const code = results.decisionCode(s);
      ts[i] = t;
      txNum[i] = id;
      score[i] = sc;
      decision[i] = code;
      slotOf[i] = s;
      hasher.refOfKeyInto(records.cardKeyLo(s), records.cardKeyHi(s), card, 2 * i);
      const plain = code === 0 && results.status(s) === ResultStatus.Scored && sc >= 0 && sc <= 1 && Number.isFinite(t) && Number.isSafeInteger(id) && id >= 0;
      flag[i] = plain ? 0 : 1;
    }
    this.generation[start] = gen < 0 ? 0 : gen;
    // Published with the batch's DONE state (a release store after this); the store here only orders it.
    Atomics.store(this.staged, start, n + 1);
  }

  /** Engine side, once the batch at `start` is finished: its staged transaction count (-1: not staged); clears the mark. */
  take(start: number): number {
    const v = Atomics.load(this.staged, start);
    if (v !== 0) Atomics.store(this.staged, start, 0);
    return v - 1;
  }
}

/** What a decided batch carries when its worker staged the decision log's columns (see {@link DecisionColumns}). */
export interface StagedDecisions {
  ts: Float64Array;
  txNum: Float64Array;
  card: Uint32Array;
  score: Float32Array;
  decision: Uint8Array;
  flag: Uint8Array;
  slotOf: Int32Array;
  /** Index of the batch's first transaction in the columns (the batch's first slot). */
  start: number;
  /** Transactions of the batch (labels left out), at `start .. start + count - 1`. */
  count: number;
  /** The scorer generation that decided them. */
  generation: number;
}
