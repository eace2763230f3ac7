import { describe, expect, it } from 'vitest';
import { collect, feed, lawsHold, simulatedStream, withEngine } from './helpers.js';

// Batches scored on the engine's own thread (Engine.setInlineMaxBatch): real decisions, same scorer state and ticket
// order as the workers', counted apart.

const txs = [1, 2, 3].map((i) => ({ id: `i-${i}`, cardId: 'card-i', terminalId: 'term-i', amount: 10 * i, timestamp: 1_767_225_600_000 + i }));

describe('inline scoring of small batches', () => {
  it('decides identically to workers alone, mixing inline and worker batches, every law kept', async () => {
    const stream = await simulatedStream(40);
    const run = async (workers: number, maxBatch: number, inline: number): Promise<{ rows: string[]; inline: number; inlineTx: number; dispatched: number; broken: unknown[] }> =>
      withEngine({ workers, maxBatch, capacity: 8192, lingerMs: 0 }, async (engine) => {
        engine.setInlineMaxBatch(inline);
        const seen = collect(engine);
        await feed(engine, stream.views, stream.count, 1000);
        await engine.drain();
        const s = engine.stats();
        expect(engine.scorer.counts().scored).toBe(seen.rows.length);
        return { rows: seen.rows, inline: s.batches.inline, inlineTx: s.batches.inlineTx, dispatched: s.batches.dispatched, broken: lawsHold(s) };
      });
    const reference = await run(1, 4096, 0);
    expect(reference.inline).toBe(0);
    const mixed = await run(2, 7, 7);
    expect(mixed.rows).toEqual(reference.rows);
    expect(mixed.broken).toEqual([]);
    // Both paths were taken: some batches inline (nothing in flight), some by a worker.
    expect(mixed.inline).toBeGreaterThan(0);
    expect(mixed.inline).toBeLessThan(mixed.dispatched);
    expect(mixed.inlineTx).toBeGreaterThan(0);
    expect(reference.rows.some((r) => r.split(':')[3] !== '0')).toBe(true);
  }, 120_000);

  it('scores a small flushed batch on this thread: decided after the current task, counted as inline', async () => {
    await withEngine({ workers: 1, lingerMs: 1000, maxBatch: 2048 }, async (engine) => {
      engine.setInlineMaxBatch(8);
      const seen = collect(engine);
      for (const t of txs) expect(engine.submit(t).state).toBe('accepted');
      engine.flush();
      // Scored synchronously in the cut; finished (listeners) in a microtask, without any worker.
      expect(engine.scorer.counts().scored).toBe(3);
      await Promise.resolve();
      expect(seen.rows.length).toBe(3);
      const s = engine.stats();
      expect(s.batches).toMatchObject({ dispatched: 1, inline: 1, inlineTx: 3 });
      expect(s.counts).toMatchObject({ scored: 3, inFlight: 0 });
      expect(lawsHold(s)).toEqual([]);
      // A batch above the limit goes to a worker.
      engine.setInlineMaxBatch(2);
      for (const t of txs) expect(engine.submit({ ...t, id: `${t.id}-b` }).state).toBe('accepted');
      engine.flush();
      await engine.drain();
      expect(engine.stats().batches).toMatchObject({ dispatched: 2, inline: 1, inlineTx: 3 });
      expect(seen.rows.length).toBe(6);
    });
  });

  it('refuses a bad limit, naming it', async () => {
    await withEngine({ workers: 1 }, async (engine) => {
      expect(() => engine.setInlineMaxBatch(-1)).toThrow(/inlineMaxBatch must be an integer from 0 to 65536/);
      expect(() => engine.setInlineMaxBatch(1.5)).toThrow(RangeError);
    });
  });
});
