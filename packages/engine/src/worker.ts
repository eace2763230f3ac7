/**
 * The piscina worker: one call into the Rust addon per micro-batch. Records and results stay in shared memory;
 * the task message carries only three numbers.
 */
import { workerData } from 'piscina';
import { scoreBatch } from '@fraudstream/scorer';

/** What the engine hands a worker at start-up (see Engine.create). */
export interface WorkerInit {
  ring: SharedArrayBuffer;
  results: SharedArrayBuffer;
  dataOffset: number;
  capacity: number;
  recordSize: number;
  resultSize: number;
  handle: number;
}

/** One micro-batch: `count` contiguous slots from `start`, ordered by `ticket`. */
export interface ScoreTask {
  start: number;
  count: number;
  ticket: number;
}

const init = workerData as WorkerInit;
const records = new Uint8Array(init.ring, init.dataOffset, init.capacity * init.recordSize);
const results = new Uint8Array(init.results, 0, init.capacity * init.resultSize);

/** Scores one batch in place; returns the number of transactions scored. */
export default function score(task: ScoreTask): number {
  // An empty task is the engine's start-up probe: it only proves this worker has loaded the addon.
  if (task.count === 0) return 0;
  return scoreBatch(init.handle, records, results, task.start, task.count, task.ticket);
}
