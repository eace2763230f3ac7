/**
 * The piscina worker: each task claims published micro-batches in ticket order and scores each with one call into
 * the Rust addon, until none is left (see batch-control.ts). Records, results and batch descriptors stay in shared
 * memory; a task message carries only its id.
 */
import { workerData } from 'piscina';
import { scoreBatch, skipTicket } from '@fraudstream/scorer';
import { CLAIMED, COMPLETED, COUNT, DONE, FAILED, OWNER, PUBLISHED, RUNNING, START, STATE, descriptorAt } from './batch-control.js';

/** What the engine hands a worker at start-up (see Engine.create). */
export interface WorkerInit {
  ring: SharedArrayBuffer;
  results: SharedArrayBuffer;
  dataOffset: number;
  capacity: number;
  recordSize: number;
  resultSize: number;
  handle: number;
  /** BigInt64Array counters and Int32Array descriptors of batch-control.ts. */
  counters: SharedArrayBuffer;
  descriptors: SharedArrayBuffer;
  descriptorMask: number;
}

/** A task: claim and score batches until none is published. `id` < 0 is the engine's start-up probe. */
export interface ScoreTask {
  id: number;
}

/** What a task did: batches it finished, and the error of each that failed (decided by the engine's fallback). */
export interface TaskResult {
  batches: number;
  failures: { ticket: number; message: string }[];
}

const init = workerData as WorkerInit;
const records = new Uint8Array(init.ring, init.dataOffset, init.capacity * init.recordSize);
const results = new Uint8Array(init.results, 0, init.capacity * init.resultSize);
const counters = new BigInt64Array(init.counters);
const descriptors = new Int32Array(init.descriptors);

/** The next published ticket, taken for this worker; -1 when every published ticket is taken. */
function claim(): number {
  for (;;) {
    const next = Atomics.load(counters, CLAIMED);
    if (next >= Atomics.load(counters, PUBLISHED)) return -1;
    if (Atomics.compareExchange(counters, CLAIMED, next, next + 1n) === next) return Number(next);
  }
}

export default function score(task: ScoreTask): TaskResult {
  const done: TaskResult = { batches: 0, failures: [] };
  // The start-up probe only proves this worker has loaded the addon.
  if (task.id < 0) return done;
  for (let ticket = claim(); ticket >= 0; ticket = claim()) {
    const at = descriptorAt(ticket, init.descriptorMask);
    Atomics.store(descriptors, at + OWNER, task.id);
    Atomics.store(descriptors, at + STATE, RUNNING);
    let state = DONE;
    try {
      scoreBatch(init.handle, records, results, descriptors[at + START] ?? 0, descriptors[at + COUNT] ?? 0, ticket);
    } catch (err) {
      state = FAILED;
      done.failures.push({ ticket, message: String(err) });
      // The addon marks a ticket done even when it fails; this covers failures before the addon was reached.
      try {
        skipTicket(init.handle, ticket);
      } catch {
        // The scorer itself is gone (the engine is closing): nothing waits at its gate any more.
      }
    }
    Atomics.store(descriptors, at + STATE, state);
    Atomics.add(counters, COMPLETED, 1n);
    Atomics.notify(counters, COMPLETED);
    done.batches++;
  }
  return done;
}
