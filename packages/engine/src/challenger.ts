/**
 * Champion/challenger: a challenger bundle scores the same stream in shadow. Its own scorer (own card and terminal
 * state, own ordering gate) is fed every batch cut while it is live, in the same order, by the worker that scored the
 * champion's decision (shadow-control.ts); its decisions are written to a second results region and only counted,
 * sampled and compared here, on the main thread: they never reach the decision sinks, the alerts or the cases.
 */
import { DecisionCode, DECISION_NAMES, ResultStatus, ResultViews, RESULT_SIZE, type CardRefHasher, type DecisionName, type RecordViews } from '@fraudstream/schema';
import { Scorer, type BundleInfo, type ScorerOptions } from '@fraudstream/scorer';
import { descriptorRingSize } from './batch-control.js';
import type { FinishedBatch } from './batches.js';
import type { DecidedBatch } from './engine-stats.js';
import type { ShadowHooks } from './dispatcher.js';
import { HANDLE, NONE, SDONE, SHADOW_DESCRIPTOR, SINVALID, SLABELS, SSCORED, SSTATE, TICKET, shadowAt } from './shadow-control.js';
import { PairedQuality, type WindowComparison } from './window-quality.js';

/** The challenger's own counts, each kept by the stage that did the work (see the laws in laws.ts). */
export interface ShadowCounts {
  /** Transactions in batches handed to the challenger (counted at the cut). */
  consumed: number;
  /** What the challenger's Rust scorer counted (status Scored, Invalid; label records applied to its state). */
  scored: number;
  invalid: number;
  labels: number;
  /** Transactions of shadow batches the challenger failed (its ticket given up); the champion decided them as usual. */
  failed: number;
  /** Transactions handed to the challenger and not yet finished. */
  inFlight: number;
  /** The champion's decisions (scored, invalid, fallback) in the same batches, from the champion's own reports. */
  championDecided: number;
  /** The challenger's outcomes, counted from its result codes. */
  approved: number;
  review: number;
  declined: number;
}

/** One transaction both decided differently, as the recent sample shows it (card as its keyed reference). */
export interface ShadowDisagreement {
  id: string;
  cardRef: string;
  amount: number;
  timestampMs: number;
  champion: { decision: DecisionName; score: number };
  challenger: { decision: DecisionName; score: number };
}

/** What `stats().challenger` holds while a challenger is live. */
export interface ChallengerStats {
  version: string;
  name: string;
  hash: string;
  /** When it went live (epoch ms). */
  loadedAtMs: number;
  counts: ShadowCounts;
  /** Decisions of both, since it went live: `agreement[champion][challenger]`, codes APPROVE, REVIEW, DECLINE. */
  agreement: number[][];
  /** The champion's outcomes on the same transactions (alert volume side by side). */
  champion: { approved: number; review: number; declined: number };
  quality: WindowComparison;
  /** The most recent disagreements (bounded), newest last. */
  recent: ShadowDisagreement[];
}

/** Disagreements kept (each WebSocket update carries them: kept small). */
const RECENT = 20;

/** A batch the challenger decided in shadow (its results region), with the version and rule names of its bundle. */
export interface ShadowBatch extends DecidedBatch {
  version: string;
  rules: readonly string[];
}

/** One loaded challenger and everything counted about it. */
class Loaded {
  nextTicket = 0;
  batchesInFlight = 0;
  retired = false;
  readonly loadedAtMs = Date.now();
  readonly counts: ShadowCounts = {
    consumed: 0,
    scored: 0,
    invalid: 0,
    labels: 0,
    failed: 0,
    inFlight: 0,
    championDecided: 0,
    approved: 0,
    review: 0,
    declined: 0,
  };
  readonly agreement = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  readonly quality = new PairedQuality();
  readonly recent: ShadowDisagreement[] = [];

  constructor(
    readonly scorer: Scorer,
    readonly info: BundleInfo,
    readonly text: string,
  ) {}

  /** Frees the scorer once retired and no batch handed to it is left. */
  closeIfIdle(): void {
    if (this.retired && this.batchesInFlight === 0) this.scorer.close();
  }
}

/** The engine's challenger slot: loads, replaces and removes it between batches, and accounts its shadow batches. */
export class ChallengerLane implements ShadowHooks {
  readonly descriptors: SharedArrayBuffer;
  readonly results: Uint8Array;
  readonly views: ResultViews;
  private readonly shadow: Int32Array;
  private readonly mask: number;
  /** The challenger each ticket place was handed to (undefined: none), cleared when the batch is finished. */
  private readonly byPlace: (Loaded | undefined)[];
  private live: Loaded | undefined;
  private readonly listeners = new Set<(batch: ShadowBatch) => void>();

  constructor(
    capacity: number,
    maxInFlightBatches: number,
    private readonly records: RecordViews,
    private readonly championResults: ResultViews,
    private readonly cardRefs: CardRefHasher,
    private readonly ids: (string | undefined)[],
  ) {
    const size = descriptorRingSize(maxInFlightBatches);
    this.mask = size - 1;
    this.descriptors = new SharedArrayBuffer(size * SHADOW_DESCRIPTOR * 4);
    this.shadow = new Int32Array(this.descriptors);
    this.byPlace = new Array<Loaded | undefined>(size);
    this.views = new ResultViews(new SharedArrayBuffer(capacity * RESULT_SIZE), 0, capacity);
    this.results = this.views.u8;
  }

  /** Calls `listener` with every batch the challenger decided, in ingest order, before its slots are reused. */
  onShadowBatch(listener: (batch: ShadowBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether a challenger is live. */
  get active(): boolean {
    return this.live !== undefined;
  }

  /** The live challenger's bundle, or undefined. */
  get bundle(): { info: BundleInfo; text: string } | undefined {
    const l = this.live;
    return l === undefined ? undefined : { info: l.info, text: l.text };
  }

  /**
   * Makes `bundle` the challenger (replacing any): a fresh scorer with the champion's scorer options (label delay,
   * built-in rule parameters), then the bundle (as for the champion, a bundle without a model scores 0). Batches cut
   * from now on are shadowed by it. Throws naming the field of the first problem, leaving the live challenger in force.
   */
  load(bundle: string, options: ScorerOptions): BundleInfo {
    const scorer = Scorer.open(options);
    let info: BundleInfo;
    try {
      info = scorer.loadBundle(bundle);
    } catch (err) {
      scorer.close();
      throw err;
    }
    this.remove();
    this.live = new Loaded(scorer, info, bundle);
    return info;
  }

  /** Removes the live challenger, if any: batches cut from now on are not shadowed; returns whether one was live. */
  remove(): boolean {
    const l = this.live;
    if (l === undefined) return false;
    this.live = undefined;
    l.retired = true;
    l.closeIfIdle();
    return true;
  }

  assign(ticket: number, tx: number): void {
    const at = shadowAt(ticket, this.mask);
    const place = at / SHADOW_DESCRIPTOR;
    const l = this.live;
    this.byPlace[place] = l;
    if (l === undefined) {
      Atomics.store(this.shadow, at + HANDLE, 0);
      return;
    }
    const s = this.shadow;
    s[at + TICKET] = l.nextTicket++;
    s[at + SSCORED] = 0;
    s[at + SINVALID] = 0;
    s[at + SLABELS] = 0;
    Atomics.store(s, at + SSTATE, NONE);
    Atomics.store(s, at + HANDLE, l.scorer.handle);
    l.counts.consumed += tx;
    l.counts.inFlight += tx;
    l.batchesInFlight++;
  }

  abandon(ticket: number): void {
    const at = shadowAt(ticket, this.mask);
    const l = this.byPlace[at / SHADOW_DESCRIPTOR];
    if (l === undefined) return;
    try {
      l.scorer.skipTicket(this.shadow[at + TICKET] ?? 0);
    } catch {
      // Already closed: nothing waits at its gate.
    }
  }

  /** Accounts the shadow side of a finished batch (called in ticket order, before its slots are released). */
  finished(batch: FinishedBatch): void {
    const at = shadowAt(batch.ticket, this.mask);
    const place = at / SHADOW_DESCRIPTOR;
    const l = this.byPlace[place];
    if (l === undefined) return;
    this.byPlace[place] = undefined;
    const c = l.counts;
    const s = this.shadow;
    c.inFlight -= batch.tx;
    c.championDecided += batch.scored + batch.invalid + batch.fallbackTx;
    const done = Atomics.load(s, at + SSTATE) === SDONE;
    if (done) {
      c.scored += s[at + SSCORED] ?? 0;
      c.invalid += s[at + SINVALID] ?? 0;
      c.labels += s[at + SLABELS] ?? 0;
    } else {
      c.failed += batch.tx;
    }
    const { records, championResults: champ, views: shad } = this;
    for (let i = 0; i < batch.handed; i++) {
      const slot = batch.slot + i;
      if (records.isLabel(slot)) {
        l.quality.label(records.txNum(slot), records.isFraud(slot));
        continue;
      }
      if (!done) continue;
      const sc = shad.decisionCode(slot);
      const cc = champ.decisionCode(slot);
      if (sc === DecisionCode.Approve) c.approved++;
      else if (sc === DecisionCode.Review) c.review++;
      else c.declined++;
      const row = l.agreement[cc];
      if (row !== undefined) row[sc] = (row[sc] ?? 0) + 1;
      if (champ.status(slot) === ResultStatus.Scored && shad.status(slot) === ResultStatus.Scored) {
        l.quality.decided(batch.seq + i, champ.score(slot), cc, shad.score(slot), sc);
      }
      if (sc !== cc) this.remember(l, slot, batch.seq + i, cc, sc);
    }
    if (done && this.listeners.size > 0) {
      const b: ShadowBatch = { records, results: shad, slot: batch.slot, seq: batch.seq, count: batch.handed, fallback: false, version: l.info.version, rules: l.info.rules };
      for (const listener of this.listeners) listener(b);
    }
    l.batchesInFlight--;
    l.closeIfIdle();
  }

  private remember(l: Loaded, slot: number, seq: number, cc: number, sc: number): void {
    const { records } = this;
    const txNum = records.txNum(slot);
    const name = (code: number): DecisionName => DECISION_NAMES[code] ?? 'REVIEW';
    if (l.recent.length >= RECENT) l.recent.shift();
    l.recent.push({
      id: Number.isNaN(txNum) ? (this.ids[slot] ?? `seq:${seq}`) : String(txNum),
      cardRef: this.cardRefs.shortRefOfKey(records.cardKeyLo(slot), records.cardKeyHi(slot)),
      amount: records.amount(slot),
      timestampMs: records.timestampMs(slot),
      champion: { decision: name(cc), score: this.championResults.score(slot) },
      challenger: { decision: name(sc), score: this.views.score(slot) },
    });
  }

  /** The live challenger's stats, or null when none is live. */
  stats(): ChallengerStats | null {
    const l = this.live;
    if (l === undefined) return null;
    const a = l.agreement;
    const row = (i: number): number => (a[i]?.[0] ?? 0) + (a[i]?.[1] ?? 0) + (a[i]?.[2] ?? 0);
    return {
      version: l.info.version,
      name: l.info.name,
      hash: l.info.hash,
      loadedAtMs: l.loadedAtMs,
      counts: { ...l.counts },
      agreement: a.map((r) => [...r]),
      champion: { approved: row(0), review: row(1), declined: row(2) },
      quality: l.quality.summary(),
      recent: [...l.recent],
    };
  }

  /** Frees every challenger scorer (after the workers have stopped). */
  close(): void {
    const l = this.live;
    this.live = undefined;
    l?.scorer.close();
    for (const p of this.byPlace) p?.scorer.close();
  }
}
