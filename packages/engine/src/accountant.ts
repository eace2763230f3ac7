import { DECISION_NAMES, DecisionCode, type RecordViews, type ResultViews } from '@fraudstream/schema';
import { decodeReasons } from '@fraudstream/scorer';
import type { LiveVersions } from './live-versions.js';
import type { Histogram } from 'hdr-histogram-js';
import { EventCollector, type DecisionEvent, type DrainedEvents } from './decision-event.js';
import type { FinishedBatch } from './batches.js';
import type { Faults } from './faults.js';
import { LatencyWindow, type LatencySummary } from './latency-window.js';
import { QualityTracker } from './quality.js';

/** What the accountant counted from finished batches (each figure from the stage that did the work). */
export interface DecisionCounts {
  /** Transactions the Rust scorer decided with status Scored (its per-batch counts, summed in ingest order). */
  scored: number;
  /** Transactions the Rust scorer found invalid (status Invalid, decided REVIEW by the scorer itself). */
  invalid: number;
  /** Transactions given the fallback decision (REVIEW, reason SCORER_ERROR), counted by the fallback writer. */
  fallback: number;
  /** Decisions by outcome, counted here from the result codes. */
  approved: number;
  review: number;
  declined: number;
  /** Label records the scorer applied to its state, and those in batches decided by the fallback. */
  labelsApplied: number;
  labelsFailed: number;
}

const now = (): number => performance.timeOrigin + performance.now();

/**
 * Accounts finished batches in ingest order: decisions by outcome, the scorer's and the fallback's counts,
 * ingest-to-decision and schedule-to-decision latency, live quality from labels, and the live feed and alerts.
 */
export class Accountant {
  readonly counts: DecisionCounts = {
    scored: 0,
    invalid: 0,
    fallback: 0,
    approved: 0,
    review: 0,
    declined: 0,
    labelsApplied: 0,
    labelsFailed: 0,
  };
  /** Ingest (ring slot) to decision, and pacing schedule to decision (see `RingSink.dueMs`). */
  readonly latency = new LatencyWindow();
  readonly scheduleLatency = new LatencyWindow();
  readonly quality = new QualityTracker();
  private readonly events = new EventCollector();
  private readonly byCode = [0, 0, 0];

  constructor(
    private readonly records: RecordViews,
    private readonly results: ResultViews,
    /** Scheduled time of each slot's transaction, epoch ms (the ingest time for unpaced writers). */
    private readonly dueMs: Float64Array,
    /** String transaction ids by slot, for records whose numeric id is NaN; cleared once accounted. */
    private readonly ids: (string | undefined)[],
    /** What each scorer generation was (version label, live rule names). */
    private readonly versions: LiveVersions,
    private readonly faults: Faults | undefined,
  ) {}

  /** Decision counts with the outcome counts filled in. */
  snapshot(): DecisionCounts {
    const c = this.counts;
    c.approved = this.byCode[DecisionCode.Approve] ?? 0;
    c.review = this.byCode[DecisionCode.Review] ?? 0;
    c.declined = this.byCode[DecisionCode.Decline] ?? 0;
    return { ...c };
  }

  /** Takes the sampled feed and the alerts gathered since the last call. */
  drainEvents(maxFeed: number, maxAlerts: number): DrainedEvents {
    return this.events.drain(maxFeed, maxAlerts);
  }

  latencySummary(): { ingest: LatencySummary; schedule: LatencySummary } {
    const t = now();
    return { ingest: this.latency.summary(t), schedule: this.scheduleLatency.summary(t) };
  }

  /** Every latency recorded since the start (µs histograms the caller owns): ingest and schedule to decision. */
  latencyTotals(): { ingest: Histogram; schedule: Histogram } {
    const t = now();
    this.latency.rotate(t);
    this.scheduleLatency.rotate(t);
    return { ingest: this.latency.total(), schedule: this.scheduleLatency.total() };
  }

  /** Accounts one finished batch (called in ticket order, before its slots are released). */
  account(batch: FinishedBatch): void {
    const c = this.counts;
    c.scored += batch.scored;
    c.invalid += batch.invalid;
    c.fallback += batch.fallbackTx;
    c.labelsApplied += batch.labelsApplied;
    if (batch.fallback) c.labelsFailed += batch.handed - batch.fallbackTx;
    const { records, results, dueMs } = this;
    const doneMs = batch.doneMs;
    this.latency.rotate(doneMs);
    this.scheduleLatency.rotate(doneMs);
    // Records written in one source chunk share their ingest time, and a batch shares its completion time: equal
    // latencies are recorded as one run (one histogram update per run instead of per transaction).
    let runIngest = Number.NaN;
    let runCount = 0;
    // The same for due times: an unpaced writer's records of one chunk share theirs (a paced one's differ per record).
    let runDue = Number.NaN;
    let dueCount = 0;
    const doubleCount = this.faults?.doubleCountSeq;
    for (let i = 0; i < batch.handed; i++) {
      const slot = batch.slot + i;
      const seq = batch.seq + i;
      if (records.isLabel(slot)) {
        this.quality.label(records.txNum(slot), records.isFraud(slot));
        continue;
      }
      const code = results.decisionCode(slot);
      this.byCode[code] = (this.byCode[code] ?? 0) + (seq === doubleCount ? 2 : 1);
      const ingestMs = records.ingestMs(slot);
      if (ingestMs !== runIngest) {
        if (runCount > 0) this.latency.recordCount((doneMs - runIngest) * 1000, runCount);
        runIngest = ingestMs;
        runCount = 0;
      }
      runCount++;
      const due = dueMs[slot] ?? ingestMs;
      if (due !== runDue) {
        if (dueCount > 0) this.scheduleLatency.recordCount((doneMs - runDue) * 1000, dueCount);
        runDue = due;
        dueCount = 0;
      }
      dueCount++;
      this.quality.decided(seq, code, results.score(slot));
      if (code !== DecisionCode.Approve && this.events.wantsAlert()) {
        this.events.putAlert(this.event(slot, seq, (doneMs - ingestMs) * 1000));
      }
      const feedSlot = this.events.feedSlot();
      if (feedSlot >= 0) this.events.putFeed(feedSlot, this.event(slot, seq, (doneMs - ingestMs) * 1000));
    }
    if (runCount > 0) this.latency.recordCount((doneMs - runIngest) * 1000, runCount);
    if (dueCount > 0) this.scheduleLatency.recordCount((doneMs - runDue) * 1000, dueCount);
  }

  private event(slot: number, seq: number, latencyUs: number): DecisionEvent {
    const txNum = this.records.txNum(slot);
    const generation = this.versions.of(this.results.generation(slot));
    const hex = (v: number): string => `…${(v & 0xffffff).toString(16).padStart(6, '0')}`;
    return {
      id: Number.isNaN(txNum) ? (this.ids[slot] ?? `seq:${seq}`) : String(txNum),
      cardRef: hex(this.records.cardKeyLo(slot)),
      terminalRef: hex(this.records.termKeyLo(slot)),
      amount: this.records.amount(slot),
      timestampMs: this.records.timestampMs(slot),
      score: this.results.score(slot),
      decision: DECISION_NAMES[this.results.decisionCode(slot)] ?? 'REVIEW',
      reasons: decodeReasons(this.results.u8, slot, generation.rules),
      latencyUs: Math.round(latencyUs),
      modelVersion: generation.version,
    };
  }
}
