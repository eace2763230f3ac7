/**
 * Messages between the {@link CaseWriter} (engine thread) and its worker (case-writer-worker.ts), and the packed
 * form of a batch's alerts.
 *
 * A batch's alerts travel as one Float64Array, ALERT_FIELDS numbers per alert (copied once by postMessage):
 * ```
 *  +0 txNum      integer transaction id, NaN when the id is a string (then in `ids`)
 *  +1 eventMs    event time, epoch ms
 *  +2 score      0..1 (the scorer's f32 widened)
 *  +3 code       1 REVIEW, 2 DECLINE
 *  +4 status     the result status (Invalid = decided by the fallback: score NaN, reason SCORER_ERROR)
 *  +5 rules      bit mask of the rules that fired
 *  +6..+8        top feature indices (NO_REASON when absent)
 *  +9 cardLo, +10 cardHi   the record's 64-bit card key (hashed to the keyed card reference in the worker)
 *  +11 seq       ingest sequence number (NaN when the caller gave none)
 *  +12 amount
 *  +13 termLo, +14 termHi  the record's 64-bit terminal key
 *  +15 word      mcc | channel << 16 | flags << 24 (the record's u32 at `mcc`)
 *  +16 country, +17 currency   packed as in the record
 * ```
 */

/** Numbers per packed alert. */
export const ALERT_FIELDS = 18;

/** Names of rules and features by index (the scorer's), to turn packed reasons into names in the worker. */
export interface ReasonNames {
  ruleNames: readonly string[];
  featureNames: readonly string[];
}

/** `workerData` of the case writer's worker. */
export interface CaseWorkerData {
  dataDir: string;
  db: string | undefined;
  schema: string | undefined;
  /** The card-reference secret (copied; the worker hashes card keys). */
  secret: Uint8Array;
  names: ReasonNames;
  /** Alerts per database transaction at most (group commit of queued batches). */
  commitMax: number;
  /** First retry delay after a failed commit, ms (doubles up to 5 s). */
  retryMs: number;
  /** Least time between two commits while fewer than `commitMax` alerts wait and nobody waits for a flush, ms. */
  lingerMs: number;
  /** This engine run's id (16 hex digits): a case's ingest sequence number counts for quality only in its run. */
  run: string;
}

/** Engine thread -> worker. */
export type ToWorker =
  | { t: 'batch'; alerts: Float64Array; ids: [number, string][]; modelVersion: string }
  | { t: 'call'; id: number; method: 'get' | 'list' | 'update' | 'history'; args: unknown[] }
  | { t: 'flush'; id: number; sync: boolean }
  | { t: 'close'; id: number }
  /** Stop retrying: close the store with what could not be committed (answered by the pending close). */
  | { t: 'abort' };

/** A store error carried across threads: name, message and the field for input errors. */
export interface WireError {
  name: string;
  message: string;
  field?: string;
}

/** Worker -> engine thread. */
export type FromWorker =
  | { t: 'ready'; kind: 'sqlite' | 'postgres' }
  | { t: 'failed'; error: WireError }
  | { t: 'committed'; alerts: number; opened: number }
  | { t: 'commit-error'; error: WireError; retryMs: number }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: WireError };
