/**
 * The piscina worker: each task claims published micro-batches in ticket order and scores each with one call into
 * the Rust scorer (and, while a challenger is live, once more with the challenger's scorer: shadow-control.ts),
 * sleeping on the board between publishes, until none came for IDLE_MS (see batch-control.ts). Records, results and
 * batch descriptors stay in shared memory; a task message carries only its id (and, for a retry, the ticket to take
 * over).
 */
import { workerData } from 'piscina';
import { RECORD_SIZE } from '@fraudstream/schema';
import { Scorer, cardRefKey } from '@fraudstream/scorer';
import {
  BUSY_NS,
  COMPLETED,
  COUNT,
  DONE,
  FAILED,
  INVALID,
  LABELS,
  RUNNING,
  SCORED,
  START,
  IDLE_MS,
  STATE,
  claimOrWait,
  descriptorAt,
} from './batch-control.js';
import { DecisionColumns } from './decision-columns.js';
import type { Faults } from './faults.js';
import { scoreShadow } from './shadow-control.js';

/** What the engine hands a worker at start-up (see the dispatcher). */
export interface WorkerInit {
  records: Uint8Array;
  results: Uint8Array;
  handle: number;
  /** BigInt64Array counters and Int32Array descriptors of batch-control.ts. */
  counters: SharedArrayBuffer;
  descriptors: SharedArrayBuffer;
  descriptorMask: number;
  /** Test-only faults (faults.ts); undefined normally. */
  faults: Faults | undefined;
  /** The shadow descriptors (shadow-control.ts, same place mask) and the challenger's results region. */
  shadow: SharedArrayBuffer;
  shadowResults: Uint8Array;
  /** The decision columns' region (decision-columns.ts) when the engine stages them, and the card-reference secret. */
  columns: SharedArrayBuffer | undefined;
  cardRefSecret: Uint8Array | undefined;
}

/**
 * A task: claim and score batches until none is published. `id` < 0 is the engine's start-up probe. `retry` is a
 * ticket whose worker died before scoring it: the engine has already made this task its owner.
 */
export interface ScoreTask {
  id: number;
  retry?: number;
}

/** What a task did: batches it finished, and the error of each that failed (decided by the engine's fallback). */
export interface TaskResult {
  batches: number;
  failures: { ticket: number; message: string }[];
}

const init = workerData as WorkerInit;
const counters = new BigInt64Array(init.counters);
const descriptors = new Int32Array(init.descriptors);
const scorer = Scorer.attach(init.handle);
const faults = init.faults;
const shadow = new Int32Array(init.shadow);
/** Challengers attached by this worker, by handle (a handle is never reused in a process). */
const challengers = new Map<number, Scorer>();
const attachChallenger = (handle: number): Scorer => {
  let s = challengers.get(handle);
  if (s === undefined) {
    s = Scorer.attach(handle);
    challengers.clear();
    challengers.set(handle, s);
  }
  return s;
};
// The decision log's columns, filled here by the addon after each batch (the engine's thread then only copies them).
const staging =
  init.columns === undefined || init.cardRefSecret === undefined
    ? undefined
    : { columns: new DecisionColumns(init.columns, init.records.byteLength / RECORD_SIZE), key: cardRefKey(init.cardRefSecret) };

function runBatch(ticket: number, done: TaskResult, retry = false): void {
  const at = descriptorAt(ticket, init.descriptorMask);
  const started = process.hrtime.bigint();
  Atomics.store(descriptors, at + STATE, RUNNING);
  let state = DONE;
  try {
    // The kill fault hits the first worker to run the ticket, not the retry that takes it over.
    const kill = !retry && faults?.killWorkerTicket === ticket;
    if (kill && faults?.killWorkerWhen !== 'after') process.exit(1);
    if (faults?.failBatchTicket === ticket) throw new Error(`test fault: batch ${ticket} fails`);
    const start = descriptors[at + START] ?? 0;
    const count = descriptors[at + COUNT] ?? 0;
    const counts = scorer.scoreBatch(init.records, init.results, start, count, ticket);
    if (kill) process.exit(1);
    staging?.columns.stageNative(init.records, init.results, staging.key, start, count);
    descriptors[at + SCORED] = counts.scored;
    descriptors[at + LABELS] = counts.labels;
    descriptors[at + INVALID] = counts.invalid;
  } catch (err) {
    state = FAILED;
    done.failures.push({ ticket, message: err instanceof Error ? err.message : String(err) });
    // The addon gives up a ticket's turn on every path it reaches; this covers failures before it was reached.
    try {
      scorer.skipTicket(ticket);
    } catch {
      // The scorer itself is gone (the engine is closing): nothing waits at its gate any more.
    }
  }
  // The challenger scores the same records after the champion, failed or not (its own gate needs every shadow ticket).
  scoreShadow(shadow, init.descriptorMask, ticket, attachChallenger, init.records, init.shadowResults, descriptors[at + START] ?? 0, descriptors[at + COUNT] ?? 0);
  // Busy time is added before the batch is marked done, so a reader that saw it done also sees its time.
  Atomics.add(counters, BUSY_NS, process.hrtime.bigint() - started);
  Atomics.store(descriptors, at + STATE, state);
  Atomics.add(counters, COMPLETED, 1n);
  Atomics.notify(counters, COMPLETED);
  done.batches++;
}

export default function score(task: ScoreTask): TaskResult {
  const done: TaskResult = { batches: 0, failures: [] };
  // The start-up probe only proves this worker has loaded the addon.
  if (task.id < 0) return done;
  if (task.retry !== undefined) runBatch(task.retry, done, true);
  if (done.failures.length > 0) return done;
  // Claims batch after batch; with nothing published it sleeps until the next publish, and ends after IDLE_MS idle.
  // A failed batch ends the task at once, so its error reaches the engine (and the log) now, not at the next idle end.
  for (let ticket = claimOrWait(counters, descriptors, init.descriptorMask, task.id, IDLE_MS); ticket >= 0; ) {
    runBatch(ticket, done);
    if (done.failures.length > 0) break;
    ticket = claimOrWait(counters, descriptors, init.descriptorMask, task.id, IDLE_MS);
  }
  return done;
}

