import type { ChallengerStats } from './challenger.js';
import type { StagedDecisions } from './decision-columns.js';
import type { BucketSnapshot } from './latency-window.js';
import type { RecordViews, ResultViews, ValidationError } from '@fraudstream/schema';
import type { Thresholds } from '@fraudstream/scorer';
import type { Faults } from './faults.js';
import type { LatencySummary } from './latency-window.js';
import type { QualitySummary } from './quality.js';

/** Records a writer has put into the ring, counted by the writer itself. */
export interface WriterCounts {
  transactions: number;
  labels: number;
}

/**
 * The engine's part of the stats. Every count is kept by the stage that did the work (see laws.ts for the laws
 * between them); `decided` and `ingested` are sums given for display only.
 */
export interface EngineStats {
  counts: {
    /** Transactions written into the ring, counted by each writer (sources, `submit`). */
    written: number;
    /** Transactions the engine took from the ring into batches. */
    consumed: number;
    /** Decided by the Rust scorer with status Scored (counted in Rust, per batch). */
    scored: number;
    /** Found invalid by the scorer's own checks (decided REVIEW by the scorer). */
    invalid: number;
    /** Decided by the fallback (REVIEW, SCORER_ERROR) after a scorer failure or a dead worker. */
    fallback: number;
    /** scored + invalid + fallback (display only). */
    decided: number;
    approved: number;
    review: number;
    declined: number;
    /** Inputs refused by validation (never entered the ring), by field in `errors.rejectedByField`. */
    rejected: number;
    /** Transactions in batches cut and not yet finished. */
    inFlight: number;
    /** written + rejected (display only). */
    ingested: number;
    labels: { written: number; consumed: number; applied: number; failed: number; inFlight: number };
  };
  throughput: { ingestTps: number; decideTps: number };
  /** Ingest (ring slot) to decision, last 10 s. */
  latencyMs: LatencySummary;
  /** Pacing schedule (when the transaction was due) to decision, last 10 s: includes time the source was held back. */
  scheduleLatencyMs: LatencySummary;
  quality: QualitySummary;
  /** `depth`: records published and not yet taken by the engine; `occupied`: slots in use (waiting or in flight). */
  queue: { depth: number; occupied: number; capacity: number };
  workers: { count: number; deaths: number };
  /** Label records applied to the scorer's state (same as counts.labels.applied). */
  labels: number;
  errors: { rejectedByField: Record<string, number>; scorerFailures: number };
  /** `inline`/`inlineTx`: batches and transactions scored on the engine's thread (Engine.setInlineMaxBatch). */
  batches: { dispatched: number; meanSize: number; failed: number; retried: number; inline: number; inlineTx: number };
  thresholds: Thresholds;
  /** Micro-batches cut and not yet finished (the workers' stage depth). */
  batchesInFlight: number;
  /** The challenger scored in shadow (challenger.ts): its counts, agreement, windowed quality beside the champion's; null when none is live. */
  challenger: ChallengerStats | null;
  /** Test-only faults in force (absent normally). */
  faults?: Faults;
}

/** Outcome of {@link Engine.submit}, discriminated by `state`. */
export type SubmitResult =
  | { state: 'accepted'; seq: number }
  | { state: 'rejected'; error: ValidationError }
  /** The ring is full: nothing was counted; retry later (backpressure). */
  | { state: 'full' };

/** A decided batch, handed to batch listeners in ingest order before its slots are reused. */
export interface DecidedBatch {
  records: RecordViews;
  results: ResultViews;
  /** First slot and ingest sequence number of the batch. */
  slot: number;
  seq: number;
  /** Records handed to the scorer (transactions and labels). */
  count: number;
  /** Decided by the fallback. */
  fallback: boolean;
  /** The decision log's columns of the batch, filled by its worker (engine option `stageDecisionColumns`; absent for a fallback batch). */
  staged?: StagedDecisions;
}

/** What {@link Engine.telemetry} reads at scrape time for operators' metrics (nothing here is counted per record). */
export interface EngineTelemetry {
  /** Every ingest-to-decision latency since the start, in fixed buckets. */
  ingestLatency: BucketSnapshot;
  /** Every schedule-to-decision latency since the start, in fixed buckets. */
  scheduleLatency: BucketSnapshot;
  /** Per transaction, ring slot to the cut of its batch (waiting in the ring and for a fuller batch). */
  queueWait: BucketSnapshot;
  /** Per batch, cut to finished (waiting for a worker, scoring, completion in ticket order). */
  batchTime: BucketSnapshot;
  /** Total run time of the worker tasks, ms. */
  workerBusyMs: number;
  /** Version of the model in use. */
  modelVersion: string;
}
