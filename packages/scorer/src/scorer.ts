import { native, nativePath } from './native.js';
import { checkThresholds, withOptions, type ScorerOptions, type Thresholds } from './options.js';
import type { BundleInfo, RulesInfo } from './rules.js';

/** What one batch wrote, counted in Rust while it wrote the outcomes. */
export interface BatchCounts {
  /** Transactions decided with status Scored. */
  scored: number;
  /** Label records applied (status Label). */
  labels: number;
  /** Records that failed the scorer's checks (status Invalid, decided REVIEW). */
  invalid: number;
}

/** A scorer's cumulative counts, kept in Rust (every completed batch of every thread). */
export interface ScorerCounts extends BatchCounts {
  /** Batches completed. */
  batches: number;
}

/** A loaded model: tree count, its input feature names, `base_score` as a probability. */
export interface ModelSummary {
  trees: number;
  features: string[];
  baseScore: number;
}

/** Heap held by a scorer's state: card and terminal entries and their allocated bytes. */
export interface StateSize {
  cards: number;
  cardBytes: number;
  terminals: number;
  terminalBytes: number;
}

/** What a snapshot stores beside the state; the scorer keeps it opaque. `extra` holds e.g. a source position. */
export interface SnapshotMeta {
  modelVersion: string;
  thresholdsVersion: string;
  extra?: Uint8Array;
}

/** A written or restored snapshot: file size, cards, terminals, creation time (Unix ms). */
export interface SnapshotInfo {
  bytes: number;
  cards: number;
  terminals: number;
  createdUnixMs: number;
}

/** What a restore read; its thresholds are now in force (the model is not in a snapshot: load it as usual). */
export interface Restored {
  meta: Required<SnapshotMeta>;
  thresholds: Thresholds;
  labelDelayDays: number;
  info: SnapshotInfo;
}

const checkTicket = (ticket: number): void => {
  if (!Number.isSafeInteger(ticket) || ticket < 0) throw new RangeError(`ticket must be an integer >= 0, got ${ticket}`);
};

/**
 * One process-wide scorer (state, model, thresholds, ordering gate) in the Rust addon. `open` creates one and owns
 * its handle; `attach` reaches the same scorer from another thread (a worker) by its handle without owning it.
 */
export class Scorer {
  /** The process-wide id of this scorer: pass it to a worker, which calls {@link Scorer.attach}. */
  readonly handle: number;
  readonly #owned: boolean;
  #closed = false;

  private constructor(handle: number, owned: boolean) {
    this.handle = handle;
    this.#owned = owned;
  }

  /** A scorer with fresh state and no model (every score 0 until {@link loadModel}); validates the options. */
  static open(options?: ScorerOptions): Scorer {
    return new Scorer(
      withOptions(options, (o) => native.createScorer(o)),
      true,
    );
  }

  /** The scorer `handle` names, from any thread; closing the attached object leaves the scorer open. */
  static attach(handle: number): Scorer {
    if (!Number.isInteger(handle) || handle <= 0) throw new RangeError(`handle must be a positive integer, got ${handle}`);
    native.scorerCounts(handle);
    return new Scorer(handle, false);
  }

  #open(): void {
    if (this.#closed) throw new Error(`scorer ${this.handle} is closed`);
  }

  /**
   * Writes the whole state (cards, terminals, pending label buckets, thresholds) and `meta` to `path` atomically
   * (temp file, fsync, rename) on the libuv pool. With `ticket` it is a barrier in the batch order: the file holds
   * exactly the batches with smaller tickets, and the ticket is consumed whatever happens. Rejects naming the file.
   */
  async snapshot(path: string, meta: SnapshotMeta, ticket?: number): Promise<SnapshotInfo> {
    this.#open();
    if (ticket !== undefined) checkTicket(ticket);
    const extra = meta.extra === undefined ? undefined : Buffer.from(meta.extra.buffer, meta.extra.byteOffset, meta.extra.byteLength);
    return native.snapshotState(this.handle, path, { ...meta, extra }, ticket);
  }

  /**
   * Replaces the state and thresholds with the snapshot at `path`, checked whole first: a corrupt, truncated or
   * mismatched file throws an error naming it and leaves the scorer unchanged. Call before the first batch.
   */
  restore(path: string): Restored {
    this.#open();
    const r = native.restoreState(this.handle, path);
    return {
      meta: { modelVersion: r.meta.modelVersion, thresholdsVersion: r.meta.thresholdsVersion, extra: new Uint8Array(r.meta.extra ?? []) },
      thresholds: r.thresholds,
      labelDelayDays: r.labelDelayDays,
      info: r.info,
    };
  }

  /**
   * Loads a model, XGBoost JSON or LightGBM text (told apart by the first line), replacing the current one
   * atomically (a new generation); throws naming the problem.
   */
  loadModel(model: string): ModelSummary {
    this.#open();
    if (typeof model !== 'string') throw new TypeError('model must be a string');
    return native.loadModel(this.handle, model);
  }

  /**
   * Replaces the live rules and allow/block lists (see docs/rules.md) between batches: batches already running keep
   * the set they started with, later ones use the new one; hit counters start at 0. Throws an Error naming the rule,
   * line and column of the first problem and leaves the live set in force.
   */
  setRules(rules: string): RulesInfo {
    this.#open();
    if (typeof rules !== 'string') throw new TypeError('rules must be a string');
    return native.setRules(this.handle, rules) as RulesInfo;
  }

  /** The live rules with their hit counts (kept in Rust), the list sizes and hits, the generation and version. */
  ruleStats(): RulesInfo {
    this.#open();
    return native.ruleStats(this.handle) as RulesInfo;
  }

  /** The live rules text. */
  rulesText(): string {
    this.#open();
    return native.rulesText(this.handle);
  }

  /**
   * Swaps model, thresholds, rules and lists for a bundle's (JSON text, see docs/architecture.md "Bundles and
   * rules") in one step between batches: every batch uses all of one bundle. Throws naming the field of the first
   * problem and leaves the live bundle in force.
   */
  loadBundle(bundle: string): BundleInfo {
    this.#open();
    if (typeof bundle !== 'string') throw new TypeError('bundle must be a string');
    return native.loadBundle(this.handle, bundle);
  }

  /** New thresholds for batches from now on; RangeError unless `0 <= review <= decline <= 1`. */
  setThresholds(t: Thresholds): void {
    this.#open();
    checkThresholds(t);
    native.setThresholds(this.handle, t.review, t.decline);
  }

  /**
   * Scores records `[startSlot, startSlot + count)` of `records` (64-byte records, zero-copy, typically a
   * SharedArrayBuffer ring) into the same slots of `results` (16 bytes each) once batch `ticket` is next in the
   * ordering gate. Consumes the ticket on every path, errors and panics included. Refuses `results` that share
   * memory with the batch's records.
   */
  scoreBatch(records: Uint8Array, results: Uint8Array, startSlot: number, count: number, ticket: number): BatchCounts {
    this.#open();
    return native.scoreBatch(this.handle, records, results, startSlot, count, ticket);
  }

  /** Gives up a ticket whose batch will never reach {@link scoreBatch}, so later tickets can pass. */
  skipTicket(ticket: number): void {
    this.#open();
    checkTicket(ticket);
    native.skipTicket(this.handle, ticket);
  }

  /** Whether the ordering gate has passed `ticket` (its batch finished its state phase, failed or was skipped). */
  ticketDone(ticket: number): boolean {
    this.#open();
    checkTicket(ticket);
    return native.ticketDone(this.handle, ticket);
  }

  /** Cumulative counts of every batch completed on this scorer, by any thread. */
  counts(): ScorerCounts {
    this.#open();
    return native.scorerCounts(this.handle);
  }

  /** Cards and terminals held and the heap bytes of each store. */
  stateSize(): StateSize {
    this.#open();
    return native.stateSize(this.handle);
  }

  /**
   * Merges terminal-day aggregates of other instances into the terminal state (a Kafka deployment's global terminal
   * table), from any thread: 6 integers per entry, the terminal key's low and high 32 bits (`| 0`), the event day
   * (UTC days since the epoch), then the transactions, labels and fraud labels to add (negative takes back).
   */
  mergeTerminalDays(entries: number[]): void {
    this.#open();
    native.mergeTerminalDays(this.handle, entries);
  }

  /** Scores `n` row-major feature rows with the loaded model (no state): one probability per row into `out`. */
  scoreFeatures(rows: Float32Array, n: number, out: Float32Array): void {
    this.#open();
    native.scoreFeatures(this.handle, rows, n, out);
  }

  /** Test-only (addon built with `test-hooks`): the batch of `ticket` panics inside its state phase. */
  armPanic(ticket: number): void {
    this.#open();
    testHooks().armPanic(this.handle, ticket);
  }

  /** Test-only (addon built with `test-hooks`): the batch of `ticket` reports one more scored than it wrote. */
  armMiscount(ticket: number): void {
    this.#open();
    testHooks().armMiscount(this.handle, ticket);
  }

  /** Frees the scorer (when opened here) and makes this object unusable; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) native.destroyScorer(this.handle);
  }
}

/** Whether the loaded addon has the test-only hooks (built with the cargo feature `test-hooks`). */
export function hasTestHooks(): boolean {
  return typeof native.armPanic === 'function' && typeof native.armMiscount === 'function';
}

function testHooks(): { armPanic(h: number, t: number): void; armMiscount(h: number, t: number): void } {
  const { armPanic, armMiscount } = native;
  if (armPanic === undefined || armMiscount === undefined) {
    throw new Error(
      `the loaded scorer addon (${nativePath}) was built without the test-hooks feature: build it with ` +
        '`pnpm --filter @fraudstream/scorer-native build:test-hooks` and set FRAUDSTREAM_SCORER_NATIVE to ' +
        'native/scorer/test-hooks/scorer.node',
    );
  }
  return { armPanic, armMiscount };
}
