import { describe, expect, it } from 'vitest';
import { Engine, EngineOptionsError } from '../src/index.js';
import { collect, feed, lawsHold, modelJson, simulatedStream, withEngine } from './helpers.js';

describe('Engine options', () => {
  it('rejects bad options with a message naming the option', async () => {
    const base = { modelJson: modelJson(), modelVersion: 'v' };
    await expect(Engine.create({ ...base, workers: 0 })).rejects.toThrow(/options\.workers/);
    await expect(Engine.create({ ...base, capacity: 1000 })).rejects.toThrow(EngineOptionsError);
    await expect(Engine.create({ ...base, lingerMs: -1 })).rejects.toThrow(/options\.lingerMs/);
    await expect(Engine.create({ ...base, labelDelayDays: 0.25 })).rejects.toThrow(/options\.labelDelayDays must be an integer/);
    await expect(Engine.create({ ...base, thresholds: { review: 0.9, decline: 0.5 } })).rejects.toThrow(/thresholds/);
    await expect(Engine.create({ ...base, modelJson: '' })).rejects.toThrow(/options\.modelJson/);
  });

  it('refuses a model that is not valid XGBoost JSON, with the scorer naming the problem', async () => {
    await expect(Engine.create({ modelJson: '{"learner":{}}', modelVersion: 'v', workers: 1 })).rejects.toThrow(/model/i);
  });
});

describe('Engine with the real addon and worker threads', () => {
  it('gives every transaction exactly one decision, labels none, and keeps every law in every snapshot', async () => {
    const stream = await simulatedStream(20);
    await withEngine({ workers: 2, maxBatch: 256, capacity: 4096 }, async (engine) => {
      const seen = collect(engine);
      let snapshots = 0;
      const broken: unknown[] = [];
      let sawInFlight = false;
      const timer = setInterval(() => {
        const s = engine.stats();
        snapshots++;
        sawInFlight ||= s.counts.inFlight > 0;
        broken.push(...lawsHold(s));
      }, 1);
      await feed(engine, stream.views, stream.count);
      await engine.drain();
      clearInterval(timer);
      const s = engine.stats();
      const txCount = seen.rows.length;
      expect(txCount).toBeGreaterThan(1000);
      // Independent counts: the writer's own count, the dispatcher's, the scorer's (in Rust) and the listener's.
      expect(s.counts.written).toBe(txCount);
      expect(s.counts.consumed).toBe(txCount);
      expect(s.counts.scored).toBe(txCount);
      expect(s.counts.fallback).toBe(0);
      expect(s.counts.inFlight).toBe(0);
      expect(s.counts.labels.written).toBe(stream.count - txCount);
      expect(s.counts.labels.applied).toBe(stream.count - txCount);
      expect(s.counts.approved + s.counts.review + s.counts.declined).toBe(txCount);
      expect(engine.scorer.counts()).toMatchObject({ scored: txCount, labels: stream.count - txCount, invalid: 0 });
      expect(snapshots).toBeGreaterThan(0);
      expect(sawInFlight).toBe(true);
      expect(broken).toEqual([]);
      expect(lawsHold(s)).toEqual([]);
      const seqs = seen.rows.map((r) => Number(r.split(':')[0]));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(s.latencyMs.max).toBeGreaterThan(0);
      expect(s.quality.labelled).toBeGreaterThan(0);
    });
  }, 60_000);

  it('decides identically with 1 worker and with 2 workers racing on small batches (per-card order kept)', async () => {
    const stream = await simulatedStream(40);
    const run = async (workers: number, maxBatch: number): Promise<string[]> =>
      withEngine({ workers, maxBatch, capacity: 8192, lingerMs: 0 }, async (engine) => {
        const seen = collect(engine);
        await feed(engine, stream.views, stream.count, 1000);
        await engine.drain();
        return seen.rows;
      });
    const one = await run(1, 4096);
    const two = await run(2, 7);
    expect(one.length).toBeGreaterThan(2000);
    expect(two).toEqual(one);
    // Alerts exist, so the comparison covers decisions and reasons, not only approvals.
    expect(one.some((r) => r.split(':')[3] !== '0')).toBe(true);
  }, 120_000);

  it('never leaves a batch waiting for its ticket behind a later one: 2 workers, 32 small batches in flight', async () => {
    // More batches in flight than workers. Only batches a worker will run at once are handed to piscina (its own queue
    // may reorder, and a later ticket running first would block its worker at the ordering gate for the earlier one).
    const stream = await simulatedStream(40);
    const run = async (workers: number, maxBatch: number, maxInFlightBatches: number): Promise<[string[], number]> =>
      withEngine({ workers, maxBatch, capacity: 8192, lingerMs: 0, maxInFlightBatches }, async (engine) => {
        const seen = collect(engine);
        await feed(engine, stream.views, stream.count, 1000);
        await engine.drain();
        return [seen.rows, engine.stats().errors.scorerFailures];
      });
    const [one] = await run(1, 4096, 2);
    const [many, failures] = await run(2, 5, 32);
    expect(failures).toBe(0);
    expect(many).toEqual(one);
  }, 120_000);

  it('pushes back on the source when the ring is full and loses nothing', async () => {
    const stream = await simulatedStream(10);
    await withEngine({ workers: 1, maxBatch: 16, capacity: 16, maxInFlightBatches: 1 }, async (engine) => {
      const seen = collect(engine);
      const fullWaits = await feed(engine, stream.views, stream.count, 64);
      await engine.drain();
      expect(fullWaits).toBeGreaterThan(0);
      const c = engine.stats().counts;
      expect(seen.rows.length).toBe(c.scored);
      expect(c.scored + c.labels.applied).toBe(stream.count);
      expect(c.written + c.labels.written).toBe(stream.count);
    });
  }, 60_000);

  it('counts rejected inputs by field; they never enter the ring', async () => {
    await withEngine({ workers: 1 }, async (engine) => {
      engine.sink.reject({ code: 'range', field: 'amount', message: 'amount must be finite' });
      engine.sink.reject({ code: 'missing', field: 'id', message: 'id is required' });
      const s = engine.stats();
      expect(s.counts.rejected).toBe(2);
      expect(s.counts.written).toBe(0);
      expect(s.counts.consumed).toBe(0);
      expect(s.errors.rejectedByField).toEqual({ amount: 1, id: 1 });
    });
  });

  it('hands out alerts and a bounded feed sample with masked card references', async () => {
    const stream = await simulatedStream(20);
    await withEngine({ workers: 2 }, async (engine) => {
      await feed(engine, stream.views, stream.count);
      await engine.drain();
      const ev = engine.drainEvents(20, 50);
      expect(ev.feed.length).toBeGreaterThan(0);
      expect(ev.feed.length).toBeLessThanOrEqual(20);
      const s = engine.stats().counts;
      expect(ev.alerts.length + ev.alertsOmitted).toBe(s.review + s.declined);
      for (const e of [...ev.feed, ...ev.alerts]) {
        expect(e.cardRef).toMatch(/^…[0-9a-f]{6}$/);
        expect(e.decision).toMatch(/^(APPROVE|REVIEW|DECLINE)$/);
        expect(e.score).toBeGreaterThanOrEqual(0);
        expect(e.score).toBeLessThanOrEqual(1);
      }
      for (const a of ev.alerts) expect(a.reasons.length).toBeGreaterThan(0);
      expect(engine.drainEvents(20, 50).feed).toEqual([]);
    });
  }, 60_000);
});

describe('Engine.submit (JSON inputs)', () => {
  it('decides valid transactions, and rejects bad ones naming the field while the pipeline goes on', async () => {
    await withEngine({ workers: 1 }, async (engine) => {
      const ok = { id: 'tx-a', cardId: 'c1', terminalId: 't1', amount: 10, timestamp: '2018-04-01T10:00:00Z' };
      expect(engine.submit(ok).state).toBe('accepted');
      const bad = engine.submit({ ...ok, amount: -5 });
      expect(bad).toMatchObject({ state: 'rejected', error: { field: 'amount' } });
      expect(engine.submit({ ...ok, timestamp: 'soon' })).toMatchObject({ state: 'rejected', error: { field: 'timestamp' } });
      expect(engine.submit({ ...ok, id: 'tx-b', channel: 'ONLINE' }).state).toBe('accepted');
      await engine.drain();
      const c = engine.stats().counts;
      expect(c).toMatchObject({ written: 2, consumed: 2, scored: 2, fallback: 0, rejected: 2, inFlight: 0 });
      expect(lawsHold(engine.stats())).toEqual([]);
      expect(engine.stats().errors.rejectedByField).toEqual({ amount: 1, timestamp: 1 });
    });
  });

  it('keeps string ids for the decisions it hands out', async () => {
    await withEngine({ workers: 1, thresholds: { review: 0, decline: 1 } }, async (engine) => {
      engine.submit({ id: 'order-77', cardId: 'c1', terminalId: 't1', amount: 10, timestamp: 1522576800000 });
      await engine.drain();
      const ev = engine.drainEvents(10, 10);
      expect(ev.alerts.map((a) => a.id)).toEqual(['order-77']);
    });
  });
});
