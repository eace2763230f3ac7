import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecordViews } from '@fraudstream/schema';
import type { Engine } from '../src/index.js';
import { feed } from '../src/testing.js';
import { collect, simulatedStream, withEngine } from './helpers.js';

/** Feeds records [from, to) in chunks of `chunk`, calling `between(next)` after each (between two writes). */
const feedWith = (engine: Engine, src: RecordViews, from: number, to: number, chunk: number, between: (i: number) => void): Promise<number> =>
  feed(engine, src, to, chunk, { from, afterChunk: between });

/** Rows of `collect` without their ingest sequence number (which restarts in a resumed engine). */
const withoutSeq = (rows: string[]): string[] => rows.map((r) => r.slice(r.indexOf(':') + 1));

describe('checkpoint barriers', () => {
  it('never split a batch, never disturb the decisions, and a snapshot at a barrier holds exactly the records before it', async () => {
    const stream = await simulatedStream(30);
    const options = { workers: 2, maxBatch: 5, capacity: 4096, lingerMs: 0, maxInFlightBatches: 4 };
    const reference = await withEngine(options, async (engine) => {
      const seen = collect(engine);
      await feedWith(engine, stream.views, 0, stream.count, 64, () => undefined);
      await engine.drain();
      return seen.rows;
    });

    const file = join(mkdtempSync(join(tmpdir(), 'fs-barrier-')), 'snap.bin');
    const middle = Math.floor(stream.count / 2);
    let snapAt = -1;
    let snapshot: Promise<unknown> | undefined;
    let barriers = 0;
    const split: number[] = [];
    const withBarriers = await withEngine(options, async (engine) => {
      const seen = collect(engine);
      const marks: number[] = [];
      engine.onBatch((b) => {
        for (const m of marks) if (b.seq < m && b.seq + b.count > m) split.push(m);
      });
      await feedWith(engine, stream.views, 0, stream.count, 64, (i) => {
        // A barrier after every chunk: tickets are taken between batches many times while 4 batches are in flight.
        const snap = snapAt < 0 && i >= middle;
        const seq = engine.barrier((ticket) => {
          barriers++;
          if (snap) snapshot = engine.scorer.snapshot(file, { modelVersion: 'test', thresholdsVersion: '1' }, ticket);
          else engine.scorer.skipTicket(ticket);
        });
        marks.push(seq);
        if (snap) snapAt = i;
      });
      await engine.drain();
      await snapshot;
      return seen.rows;
    });
    expect(barriers).toBeGreaterThan(100);
    expect(split).toEqual([]);
    expect(withBarriers).toEqual(reference);

    // Restored from the barrier's snapshot, the records after it are decided exactly as in the uninterrupted run.
    const resumed = await withEngine(options, async (engine) => {
      engine.scorer.restore(file);
      const seen = collect(engine);
      await feedWith(engine, stream.views, snapAt, stream.count, 64, () => undefined);
      await engine.drain();
      return seen.rows;
    });
    const after = reference.filter((r) => Number(r.split(':')[0]) >= snapAt);
    expect(resumed.length).toBe(after.length);
    expect(withoutSeq(resumed)).toEqual(withoutSeq(after));
  }, 120_000);
});
