import { afterEach, describe, expect, it } from 'vitest';
import { FAULTS_ENV, checkQuiescent, parseFaults, type Engine, type EngineStats, type Faults } from '../src/index.js';
import { collect, feed, lawsHold, simulatedStream, withEngine } from './helpers.js';

/**
 * Each test-only fault (faults.ts) against the check that guards it: the laws between the independent counts must
 * break when a record is dropped or counted twice, a failed batch must be decided by the fallback and counted apart,
 * and a dead worker must neither hang the pipeline nor lose its batch.
 */
async function runWith(faults: Faults | undefined, options: { workers?: number; maxBatch?: number } = {}) {
  const stream = await simulatedStream(10);
  if (faults === undefined) delete process.env[FAULTS_ENV];
  else process.env[FAULTS_ENV] = JSON.stringify(faults);
  return withEngine({ workers: options.workers ?? 2, maxBatch: options.maxBatch ?? 64, capacity: 4096, lingerMs: 0 }, async (engine: Engine) => {
    const seen = collect(engine);
    const snapshots: EngineStats[] = [];
    const timer = setInterval(() => snapshots.push(engine.stats()), 2);
    await feed(engine, stream.views, stream.count, 200);
    await engine.drain();
    clearInterval(timer);
    const end = engine.stats();
    return { end, rows: seen.rows, snapshots, scorer: engine.scorer.counts(), stream };
  });
}

afterEach(() => {
  delete process.env[FAULTS_ENV];
});

describe('the laws catch a loss', () => {
  it('hold without a fault (the baseline the fault runs are compared with)', async () => {
    const r = await runWith(undefined);
    expect(lawsHold(r.end)).toEqual([]);
    expect(checkQuiescent(r.end, r.scorer)).toEqual([]);
    expect(r.snapshots.flatMap((s) => lawsHold(s))).toEqual([]);
    expect(r.end.counts.scored).toBe(r.rows.length);
  }, 60_000);

  it('a record dropped between the ring and the scorer breaks the decisions law (the old derived check did not see it)', async () => {
    const r = await runWith({ dropRecordSeq: 300 });
    const c = r.end.counts;
    expect(c.inFlight).toBe(0);
    expect(lawsHold(r.end).map((v) => v.law)).toContain('decisions');
    expect(c.consumed).toBe(c.scored + c.fallback + c.invalid + 1);
    expect(c.written).toBe(r.rows.length + 1);
    // The first wave's check derived inFlight from the very counts it checked, so it held whatever was lost:
    const oldInFlight = c.written - c.decided;
    expect(c.written + c.rejected).toBe(c.decided + c.rejected + oldInFlight);
  }, 60_000);

  it('a decision counted twice breaks the outcomes law', async () => {
    const r = await runWith({ doubleCountSeq: 300 });
    const broken = lawsHold(r.end);
    expect(broken.map((v) => v.law)).toEqual(['outcomes']);
    expect(broken[0]).toMatchObject({ left: r.end.counts.scored + 1, right: r.end.counts.scored });
  }, 60_000);
});

describe('a failed batch', () => {
  it('is decided by the fallback, counted apart from scored, with reason SCORER_ERROR, and the pipeline goes on', async () => {
    const base = await runWith(undefined);
    const r = await runWith({ failBatchTicket: 3 });
    const c = r.end.counts;
    expect(r.end.batches.failed).toBe(1);
    expect(c.fallback).toBeGreaterThan(0);
    expect(c.fallback).toBeLessThanOrEqual(64);
    expect(c.scored + c.fallback).toBe(base.end.counts.scored);
    expect(lawsHold(r.end)).toEqual([]);
    expect(checkQuiescent(r.end, r.scorer)).toEqual([]);
    // The fallback decisions are REVIEW with the fallback status, written by the scorer's own result writer.
    const fallbackRows = r.rows.filter((row) => row.split(':')[2] === 'NaN');
    expect(fallbackRows.length).toBe(c.fallback);
    for (const row of fallbackRows) expect(row.split(':')[3]).toBe('1');
    // Batches after the failed one were scored as usual.
    expect(c.scored).toBeGreaterThan(c.fallback * 5);
  }, 60_000);
});

describe('a worker that dies mid-batch', () => {
  it('before the scorer ran: the batch is retried once on a fresh worker, decisions identical to a run without the fault', async () => {
    const base = await runWith(undefined);
    const r = await runWith({ killWorkerTicket: 4, killWorkerWhen: 'before' });
    expect(r.end.workers.deaths).toBe(1);
    expect(r.end.batches.retried).toBe(1);
    expect(r.end.counts.fallback).toBe(0);
    expect(r.rows).toEqual(base.rows);
    expect(lawsHold(r.end)).toEqual([]);
    expect(checkQuiescent(r.end, r.scorer)).toEqual([]);
  }, 60_000);

  it('after the scorer ran: the batch is decided by the fallback and counted, and the pipeline goes on', async () => {
    const base = await runWith(undefined);
    const r = await runWith({ killWorkerTicket: 4, killWorkerWhen: 'after' });
    const c = r.end.counts;
    expect(r.end.workers.deaths).toBe(1);
    expect(r.end.batches.retried).toBe(0);
    expect(r.end.batches.failed).toBe(1);
    expect(c.fallback).toBeGreaterThan(0);
    expect(c.scored + c.fallback).toBe(base.end.counts.scored);
    expect(lawsHold(r.end)).toEqual([]);
    // The scorer did score that batch before its worker died: its own total is ahead of what the engine took from it.
    expect(r.scorer.scored).toBe(c.scored + c.fallback);
  }, 60_000);
});

describe('test-only faults', () => {
  it('are refused when malformed, naming the key', async () => {
    process.env[FAULTS_ENV] = JSON.stringify({ dropRecord: 1 });
    await expect(withEngine({ workers: 1 }, async () => undefined)).rejects.toThrow(/FRAUDSTREAM_TEST_FAULTS\.dropRecord is not a known fault/);
  });

  it('take stallCaseWriter as a boolean only (the case writer reads it; the engine checks it)', () => {
    expect(parseFaults('{"stallCaseWriter":true}')).toEqual({ stallCaseWriter: true });
    expect(() => parseFaults('{"stallCaseWriter":1}')).toThrow(/FRAUDSTREAM_TEST_FAULTS\.stallCaseWriter must be a boolean/);
  });
});
