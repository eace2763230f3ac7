/** What the dispatcher hands the accountant and reports in the stats. */

/** A batch the dispatcher has finished with, handed to the accountant in ticket (= ingest) order. */
export interface FinishedBatch {
  ticket: number;
  /** Ingest sequence number and slot of the batch's first record. */
  seq: number;
  slot: number;
  /** Records taken from the ring (released after this batch is accounted). */
  count: number;
  /** Records handed to the scorer: `count`, unless a test fault dropped one. */
  handed: number;
  /** Transactions and label records among the `count` records, as classified when the batch was cut. */
  tx: number;
  labels: number;
  /** When the batch was cut from the ring, and when it was finished (epoch ms). */
  cutMs: number;
  doneMs: number;
  /** Decided by the fallback (the scorer failed, or its worker died). */
  fallback: boolean;
  /** What the Rust scorer counted in the batch (0 for a fallback batch). */
  scored: number;
  labelsApplied: number;
  invalid: number;
  /** Transactions given the fallback decision (counted by the fallback writer; 0 unless `fallback`). */
  fallbackTx: number;
}

/** The dispatcher's own ledger (each counted where the work is done). */
export interface DispatchCounts {
  /** Records taken from the ring into batches: transactions and label records. */
  consumedTx: number;
  consumedLabels: number;
  /** Transactions and labels in batches cut and not yet finished. */
  inFlightTx: number;
  inFlightLabels: number;
  /** Batches cut, batches decided by the fallback, batches retried after a worker died, worker deaths. */
  batches: number;
  failedBatches: number;
  retriedBatches: number;
  workerDeaths: number;
  /** Batches cut and not yet finished. */
  batchesInFlight: number;
  /**
   * Batches (and their transactions) scored on the engine's own thread instead of a worker (see
   * `Dispatcher.setInlineMaxBatch`): real decisions by the same scorer in the same ticket order, counted apart.
   */
  inlineBatches: number;
  inlineTx: number;
}
