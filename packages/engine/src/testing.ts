/**
 * Helpers for tests that drive a real engine (this package's and the repository's integration tests): not part of
 * the runtime API, exported as `@fraudstream/engine/testing`.
 */
import type { RecordViews } from '@fraudstream/schema';
import type { Engine } from './engine.js';

/** Where {@link feed} starts, and what it does after each chunk (where a source would be between two writes). */
export interface FeedOptions {
  /** First record of `src` to write (default 0); records `[from, count)` are written. */
  from?: number;
  /** Called after each published chunk with the index of the next record; awaited when it returns a promise. */
  afterChunk?: (next: number) => void | Promise<void>;
}

/**
 * Feeds packed records through the engine's sink in chunks, waiting (never dropping) when the ring is full. Like a
 * source, it counts what it writes itself and registers that count with the engine (the stats' `written`).
 * Returns how many times it found the ring full.
 */
export async function feed(engine: Engine, src: RecordViews, count: number, chunk = 512, options: FeedOptions = {}): Promise<number> {
  let fullWaits = 0;
  let i = options.from ?? 0;
  const sink = engine.sink;
  const written = { transactions: 0, labels: 0 };
  engine.addWriter(() => written);
  while (i < count) {
    const n = sink.claim(Math.min(chunk, count - i));
    if (n === 0) {
      fullWaits++;
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const ingest = performance.timeOrigin + performance.now();
    for (let k = 0; k < n; k++) {
      const slot = sink.claimedSlot + k;
      sink.views.copyFrom(src, i + k, slot);
      sink.views.setIngestMs(slot, ingest);
      sink.dueMs[slot] = ingest;
      if (src.isLabel(i + k)) written.labels++;
      else written.transactions++;
    }
    sink.publish(n);
    i += n;
    await options.afterChunk?.(i);
  }
  return fullWaits;
}
