/**
 * Test-only faults, so the tests can show that each loss or invariant check fails when the fault it guards against
 * happens. They are enabled only through the environment variable `FRAUDSTREAM_TEST_FAULTS` (a JSON object), never
 * by an option of the public API, and the engine reports them in its stats (`faults`) whenever any is set.
 *
 * - `dropRecordSeq`: the record with this ingest sequence number is taken from the ring and released without ever
 *   reaching the scorer (a lost record).
 * - `doubleCountSeq`: the accountant counts the decision of this record twice (a double count).
 * - `failBatchTicket`: the worker throws on this ticket before calling the scorer (a failed batch: fallback).
 * - `killWorkerTicket` with `killWorkerWhen` `before` (default) or `after`: the worker thread that claims this
 *   ticket exits, before calling the scorer or after it returned and before marking the batch done (a dead worker).
 * - `stallCaseWriter`: true makes the case writer's worker (@fraudstream/store, through `testFaultFlag` of
 *   @fraudstream/schema) commit nothing until it is closed (a case store that cannot keep up), so its queue fills and
 *   inputs must hold back.
 * - `loseTerminalTableState`: true makes a Kafka instance (@fraudstream/system, through `faultsFromEnv`)
 *   restore a checkpoint without the global terminal table's saved counts (as before they were saved), so the test
 *   of the restart shows the double count they prevent.
 * - `skipRebalanceDrain`: true makes a Kafka instance (@fraudstream/system) skip the drain on a rebalance and only
 *   commit what is already acknowledged, without holding the rejoin (the behaviour before the drain), so the test of
 *   the drain shows the decisions a new owner makes again without it.
 * - `skipLabelReplay`: true makes a Kafka source (@fraudstream/kafka, through `testFaultFlag` of @fraudstream/schema)
 *   hand a moved partition over by replaying its transactions only, not the labels its previous owner applied (the behaviour
 *   before labels were replayed), so the hand-over test shows the label-derived state the new owner then lacks.
 */
import { TEST_FAULTS_ENV } from '@fraudstream/schema';
export interface Faults {
  dropRecordSeq?: number;
  doubleCountSeq?: number;
  failBatchTicket?: number;
  killWorkerTicket?: number;
  killWorkerWhen?: 'before' | 'after';
  stallCaseWriter?: boolean;
  loseTerminalTableState?: boolean;
  skipRebalanceDrain?: boolean;
  skipLabelReplay?: boolean;
}

/** The environment variable holding the faults (JSON). */
export const FAULTS_ENV = TEST_FAULTS_ENV;

const NUMERIC = ['dropRecordSeq', 'doubleCountSeq', 'failBatchTicket', 'killWorkerTicket'] as const;

/** Parses and validates faults; throws a TypeError naming the bad key. */
export function parseFaults(text: string): Faults {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TypeError(`${FAULTS_ENV} must be a JSON object`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${FAULTS_ENV} must be a JSON object`);
  const out: Faults = {};
  for (const [key, v] of Object.entries(value)) {
    if ((NUMERIC as readonly string[]).includes(key)) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TypeError(`${FAULTS_ENV}.${key} must be a non-negative integer`);
      out[key as (typeof NUMERIC)[number]] = v;
    } else if (key === 'stallCaseWriter' || key === 'loseTerminalTableState' || key === 'skipRebalanceDrain' || key === 'skipLabelReplay') {
      if (typeof v !== 'boolean') throw new TypeError(`${FAULTS_ENV}.${key} must be a boolean`);
      out[key] = v;
    } else if (key === 'killWorkerWhen') {
      if (v !== 'before' && v !== 'after') throw new TypeError(`${FAULTS_ENV}.killWorkerWhen must be "before" or "after"`);
      out.killWorkerWhen = v;
    } else {
      throw new TypeError(`${FAULTS_ENV}.${key} is not a known fault`);
    }
  }
  return out;
}

/** The faults set in the environment, or undefined (the normal case). */
export function faultsFromEnv(): Faults | undefined {
  const text = process.env[FAULTS_ENV];
  return text === undefined || text === '' ? undefined : parseFaults(text);
}
