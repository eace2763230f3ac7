import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkLaws, checkQuiescent, defaultModelPath, Engine, type EngineStats } from '@fraudstream/engine';
import { LiveGenerator } from '@fraudstream/sources';
import { sleep } from './utils/poll.js';

describe('generator -> ring -> engine -> worker pool -> Rust scorer, all real', () => {
  it('at 20,000/s keeps every conservation law in every snapshot, alerts on fraud, records latency from the schedule', async () => {
    const engine = await Engine.create({
      modelJson: readFileSync(defaultModelPath(), 'utf8'),
      modelVersion: 'default',
      workers: 2,
      // Risk windows end today; the generator below still delays each label by 6 simulated hours.
      labelDelayDays: 0,
    });
    const generator = new LiveGenerator({ sink: engine.sink, tps: 20_000, seed: 3, labelDelayDays: 0.25 });
    engine.addWriter(() => {
      const g = generator.stats();
      return { transactions: g.generated, labels: g.labelsEmitted };
    });
    const snapshots: EngineStats[] = [];
    const sampler = setInterval(() => snapshots.push(engine.stats()), 20);
    let alerts = 0;
    generator.start();
    const pull = setInterval(() => {
      const ev = engine.drainEvents(20, 1000);
      alerts += ev.alerts.length + ev.alertsOmitted;
    }, 200);
    try {
      await sleep(3000);
      generator.stop();
      await engine.drain();
    } finally {
      clearInterval(sampler);
      clearInterval(pull);
    }
    const ev = engine.drainEvents(20, 1000);
    alerts += ev.alerts.length + ev.alertsOmitted;
    const final = engine.stats();
    const scorerTotals = engine.scorer.counts();
    snapshots.push(final);
    await engine.close();

    expect(snapshots.flatMap((s) => checkLaws(s))).toEqual([]);
    expect(checkQuiescent(final, scorerTotals)).toEqual([]);
    // Sampled every 20 ms while it ran (fewer when the machine is loaded: a count of timer ticks, not a time).
    expect(snapshots.length).toBeGreaterThan(10);
    // Something was in flight at some point, so the invariant was tested with work under way, not only at rest.
    expect(snapshots.some((s) => s.counts.inFlight > 0)).toBe(true);

    const gen = generator.stats();
    expect(gen.generated).toBeGreaterThan(20_000);
    // The generator's own count against the engine's and the scorer's (counted in Rust).
    expect(final.counts.consumed).toBe(gen.generated);
    expect(final.counts.scored).toBe(gen.generated);
    expect(final.counts.fallback).toBe(0);
    expect(final.counts.inFlight).toBe(0);
    expect(final.counts.labels.applied).toBe(gen.labelsEmitted);

    // Injected fraud (the simulator's scenarios) is alerted on: true positives exist among the labelled.
    expect(alerts).toBe(final.counts.review + final.counts.declined);
    expect(alerts).toBeGreaterThan(0);
    expect(final.quality.labelled).toBeGreaterThan(1000);
    expect(final.quality.recall).toBeGreaterThan(0);
    expect(final.quality.precision).toBeGreaterThan(0);

    expect(final.latencyMs.p50).toBeGreaterThan(0);
    expect(final.latencyMs.p99).toBeGreaterThanOrEqual(final.latencyMs.p50);
    expect(final.latencyMs.max).toBeGreaterThanOrEqual(final.latencyMs.p99);
    // Latency from the pacing schedule includes the time from ring slot to decision, so it is never shorter.
    expect(final.scheduleLatencyMs.p99).toBeGreaterThanOrEqual(final.latencyMs.p50);
    expect(final.scheduleLatencyMs.max).toBeGreaterThan(0);
  });
});
