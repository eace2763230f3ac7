import { describe, expect, it } from 'vitest';
import { withEngine } from './helpers.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Three valid transactions. */
const txs = [1, 2, 3].map((i) => ({ id: `f-${i}`, cardId: 'card-f', terminalId: 'term-f', amount: 10 * i, timestamp: 1_767_225_600_000 + i }));

describe('Engine.flush', () => {
  it('cuts the records published so far without waiting for the linger', async () => {
    // A 1 s linger: without flush the three records wait in the ring; with it they are cut on the next pump.
    await withEngine({ workers: 1, lingerMs: 1000, maxBatch: 2048 }, async (engine) => {
      for (const t of txs) expect(engine.submit(t).state).toBe('accepted');
      await nextTurn();
      await nextTurn();
      expect(engine.stats().queue.depth).toBe(3);
      engine.flush();
      // Cut synchronously: the records are in a batch before flush returns.
      const s = engine.stats();
      expect(s.queue.depth).toBe(0);
      expect(s.counts.consumed).toBe(3);
      expect(s.batches.dispatched).toBe(1);
      await engine.drain();
      expect(engine.stats().counts.scored).toBe(3);
    });
  });

  it('reports the model version serving new batches', async () => {
    await withEngine({ workers: 1 }, async (engine) => {
      expect(engine.currentModelVersion).toBe(engine.options.modelVersion);
    });
  });
});
