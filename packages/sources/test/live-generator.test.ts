import { hashKey } from '@fraudstream/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveGenerator, Simulator, type LiveGeneratorOptions } from '../src/index.js';
import { ArraySink } from './helpers/array-sink.js';
import { sleep, waitFor } from './helpers/wait.js';

const SMALL = { customers: 200, terminals: 400, seed: 3 };
const running: LiveGenerator[] = [];

function generator(options: LiveGeneratorOptions): LiveGenerator {
  const g = new LiveGenerator(options);
  running.push(g);
  return g;
}

afterEach(() => {
  for (const g of running.splice(0)) g.stop();
});

describe('LiveGenerator', () => {
  it('validates options and setTps', () => {
    const sink = new ArraySink({ capacity: 16 });
    expect(() => new LiveGenerator({ sink, tps: 0 })).toThrow(RangeError);
    expect(() => new LiveGenerator({ sink, tps: 0 })).toThrow('options.tps must be a number from 1 to 5000000');
    expect(() => new LiveGenerator({ sink, tps: 5_000_001 })).toThrow(RangeError);
    expect(() => new LiveGenerator({ sink } as unknown as LiveGeneratorOptions)).toThrow(TypeError);
    expect(() => new LiveGenerator({ sink: {} as ArraySink, tps: 1 })).toThrow('options.sink.claim must be a function');
    expect(() => new LiveGenerator({ sink, tps: 1, labelDelayDays: -1 })).toThrow(RangeError);
    expect(() => new LiveGenerator({ sink, tps: 1, labels: 1 as unknown as boolean })).toThrow(TypeError);
    const g = new LiveGenerator({ ...SMALL, sink, tps: 10 });
    expect(() => g.setTps(0)).toThrow(RangeError);
    expect(() => g.setTps(5_000_001)).toThrow(RangeError);
    expect(() => g.setTps(Number.NaN)).toThrow(TypeError);
    g.setTps(5_000_000);
    expect(g.stats().tps).toBe(5_000_000);
    expect(g.running).toBe(false);
  });

  it('writes the simulator stream: TRANSACTION_ID from 0, simulated event times, precomputed keys, wall-clock ingest', async () => {
    const sink = new ArraySink({ capacity: 1024 });
    const g = generator({ ...SMALL, sink, tps: 5_000_000, labels: false });
    const before = performance.timeOrigin + performance.now();
    g.start();
    await waitFor(() => sink.collected.count >= 5000);
    g.stop();
    const after = performance.timeOrigin + performance.now();
    const sim = new Simulator(SMALL);
    let k = 0;
    let bad = 0;
    for (let b = sim.nextDay(); b !== undefined && k < 5000; b = sim.nextDay()) {
      for (let i = 0; i < b.count && k < 5000; i++, k++) {
        const r = sink.collected.views.decode(k);
        if (
          r.txNum !== k ||
          r.timestampMs !== b.dayStartMs + b.timeSec[i]! * 1000 ||
          r.amount !== b.amount[i] ||
          r.cardKey !== hashKey(String(b.customer[i])) ||
          r.terminalKey !== hashKey(String(b.terminal[i])) ||
          r.label ||
          !(r.ingestMs >= before && r.ingestMs <= after)
        ) {
          bad++;
        }
      }
    }
    expect(bad).toBe(0);
    expect(sink.collected.views.timestampMs(0)).toBeGreaterThanOrEqual(Date.UTC(2018, 3, 1));
    const s = g.stats();
    expect(s.state).toBe('stopped');
    expect(s.generated).toBe(sink.collected.count);
    expect(s.simulatedTimeMs).toBe(sink.collected.views.timestampMs(sink.collected.count - 1));
    // Stopped means stopped.
    const n = sink.collected.count;
    await sleep(30);
    expect(sink.collected.count).toBe(n);
  });

  it('paces at a low rate: about tps x seconds, one at a time', async () => {
    const sink = new ArraySink({ capacity: 1024 });
    const g = generator({ ...SMALL, sink, tps: 20, labels: false });
    const t0 = performance.now();
    g.start();
    await sleep(1000);
    g.stop();
    const seconds = (performance.now() - t0) / 1000;
    const n = g.stats().generated;
    expect(n).toBeGreaterThanOrEqual(Math.floor(20 * seconds * 0.5));
    expect(n).toBeLessThanOrEqual(Math.ceil(20 * seconds * 1.5) + 1);
    // At 20/s one transaction falls due at a time: every chunk is a single record.
    expect(sink.claims).toBe(n);
  });

  it('paces at 1/s: one record about every second, not a burst', async () => {
    const sink = new ArraySink({ capacity: 16 });
    const g = generator({ ...SMALL, sink, tps: 1, labels: false });
    g.start();
    await sleep(1500);
    g.stop();
    // The first at start, the second about 1 s later.
    expect(g.stats().generated).toBeGreaterThanOrEqual(1);
    expect(g.stats().generated).toBeLessThanOrEqual(3);
  });

  it('setTps takes effect at once', async () => {
    const sink = new ArraySink({ capacity: 4096, collect: false });
    const g = generator({ ...SMALL, sink, tps: 1, labels: false });
    g.start();
    await sleep(20);
    g.setTps(100_000);
    await sleep(200);
    g.stop();
    expect(g.stats().generated).toBeGreaterThan(1000);
  });

  it('held back by a full sink, owes every transaction that fell due and keeps the due time of each (no coordinated omission)', async () => {
    const sink = new ArraySink({ capacity: 8, autoDrain: false });
    const g = generator({ ...SMALL, sink, tps: 10_000, labels: false });
    g.start();
    await sleep(100);
    // Nothing could be written past the first 8 for ~100 ms: ~1000 transactions fell due meanwhile.
    const held = g.stats();
    expect(held.generated).toBe(8);
    expect(held.schedule.lagMs).toBeGreaterThan(50);
    for (let i = 0; i < 200 && sink.dues.length < 500; i++) {
      sink.drain();
      await sleep(1);
    }
    g.stop();
    sink.drain();
    const s = g.stats();
    expect(s.heldBackMs).toBeGreaterThan(50);
    expect(s.schedule.shed).toBe(0);
    // Due times follow the schedule exactly, 0.1 ms apart, however late each transaction got its slot.
    const steps = sink.dues.slice(1).map((d, i) => d - (sink.dues[i] as number));
    expect(steps.length).toBeGreaterThan(400);
    // (Epoch milliseconds as doubles resolve to about 0.25 us.)
    for (const step of steps) expect(step).toBeCloseTo(0.1, 3);
    // The transactions written after the stall were due long before they were written.
    const v = sink.collected.views;
    const late = sink.dues.map((due, seq) => v.ingestMs(seq) - due).filter((wait) => wait > 50);
    expect(late.length).toBeGreaterThan(100);
  });

  it('waits when the sink is full and loses nothing once drained (backpressure)', async () => {
    const sink = new ArraySink({ capacity: 8, autoDrain: false });
    const g = generator({ ...SMALL, sink, tps: 100_000, labelDelayDays: 0.01 });
    g.start();
    await sleep(50);
    expect(sink.head - sink.tail).toBe(8);
    const waits = g.stats().backpressureWaits;
    expect(waits).toBeGreaterThan(0);
    expect(g.stats().generated + g.stats().labelsEmitted).toBe(8);
    // Drain slowly for a while: the generator keeps up with the consumer, never skipping.
    for (let i = 0; i < 60; i++) {
      sink.drain(5);
      await sleep(2);
    }
    g.stop();
    sink.drain();
    const s = g.stats();
    expect(s.backpressureWaits).toBeGreaterThan(waits);
    expect(sink.collected.count).toBe(s.generated + s.labelsEmitted);
    // Transactions are exactly 0, 1, 2, ... and every label refers to an earlier transaction slot.
    const v = sink.collected.views;
    let nextTx = 0;
    let bad = 0;
    for (let seq = 0; seq < sink.collected.count; seq++) {
      if (v.isLabel(seq)) {
        const ref = v.txNum(seq);
        if (!(ref < seq) || v.isLabel(ref) || v.timestampMs(ref) !== v.timestampMs(seq)) bad++;
      } else if (v.txNum(seq) !== nextTx++) {
        bad++;
      }
    }
    expect(bad).toBe(0);
    expect(nextTx).toBe(s.generated);
  });

  it('emits each label only after its delay in event time, with the transaction flag and keys', async () => {
    const sink = new ArraySink({ capacity: 4096 });
    const delayDays = 0.75;
    const g = generator({ ...SMALL, sink, tps: 5_000_000, labelDelayDays: delayDays });
    g.start();
    await waitFor(() => g.stats().simulatedTimeMs > Date.UTC(2018, 3, 6));
    g.stop();
    const v = sink.collected.views;
    const delayMs = delayDays * 86_400_000;
    const labelled = new Uint8Array(sink.collected.count);
    let lastTxTs = -Infinity;
    let bad = 0;
    let labels = 0;
    const sim = new Simulator(SMALL, Infinity);
    const fraudById: number[] = [];
    while (fraudById.length < g.stats().generated) {
      const b = sim.nextDay()!;
      for (let i = 0; i < b.count; i++) fraudById.push(b.fraud[i]!);
    }
    for (let seq = 0; seq < sink.collected.count; seq++) {
      const r = v.decode(seq);
      if (!r.label) {
        // A transaction may not be written while an older label is already due.
        lastTxTs = r.timestampMs;
        continue;
      }
      labels++;
      const tx = v.decode(r.txNum);
      if (tx.label || tx.timestampMs !== r.timestampMs || tx.cardKey !== r.cardKey || tx.terminalKey !== r.terminalKey) {
        bad++;
      }
      if (r.fraud !== (fraudById[tx.txNum] === 1)) bad++;
      // Simulated time (the last transaction written) has passed the label's due time...
      if (lastTxTs >= r.timestampMs + delayMs) bad++; // ...but not before the previous transaction: never late.
      labelled[r.txNum] = 1;
    }
    expect(bad).toBe(0);
    expect(labels).toBe(g.stats().labelsEmitted);
    expect(labels).toBeGreaterThan(1000);
    // Every transaction whose due time is before the last transaction's time has been labelled, none after.
    let missing = 0;
    let earlyLabels = 0;
    for (let seq = 0; seq < sink.collected.count; seq++) {
      if (v.isLabel(seq)) continue;
      const due = v.timestampMs(seq) + delayMs;
      if (due < lastTxTs && labelled[seq] === 0) missing++;
      if (due > lastTxTs && labelled[seq] === 1) earlyLabels++;
    }
    expect(missing).toBe(0);
    expect(earlyLabels).toBe(0);
    expect(g.stats().pendingLabels).toBe(g.stats().generated - labels);
  });

  it('bounds pending labels: beyond maxPendingLabels the oldest is emitted early', async () => {
    const sink = new ArraySink({ capacity: 1024, collect: false });
    const g = generator({ ...SMALL, sink, tps: 5_000_000, labelDelayDays: 30, maxPendingLabels: 100 });
    g.start();
    await waitFor(() => g.stats().generated > 10_000);
    g.stop();
    const s = g.stats();
    expect(s.pendingLabels).toBe(100);
    expect(s.labelsEmitted).toBe(s.generated - 100);
  });

  it('with finite days: ends, flushes the remaining labels and calls onEnd', async () => {
    const sink = new ArraySink({ capacity: 256 });
    let ended = 0;
    const g = generator({ ...SMALL, days: 3, sink, tps: 5_000_000, onEnd: () => ended++ });
    g.start();
    await waitFor(() => ended === 1);
    const s = g.stats();
    expect(s.state).toBe('ended');
    expect(g.running).toBe(false);
    expect(s.labelsEmitted).toBe(s.generated);
    expect(sink.collected.count).toBe(2 * s.generated);
    g.start();
    expect(g.running).toBe(false);
  });

  it('resumes after stop() where it stopped', async () => {
    const sink = new ArraySink({ capacity: 512 });
    const g = generator({ ...SMALL, sink, tps: 5_000_000, labels: false });
    g.start();
    await waitFor(() => sink.collected.count > 100);
    g.stop();
    g.start();
    await waitFor(() => sink.collected.count > 3000);
    g.stop();
    let bad = 0;
    for (let i = 0; i < sink.collected.count; i++) if (sink.collected.views.txNum(i) !== i) bad++;
    expect(bad).toBe(0);
  });
});

describe('LiveGenerator failure handling', () => {
  it('fails visibly (state, error) when the sink throws, instead of crashing the process', async () => {
    const sink = new ArraySink({ capacity: 16 });
    sink.claim = () => {
      throw new Error('ring detached');
    };
    let ended = 0;
    const g = new LiveGenerator({ customers: 50, terminals: 200, sink, tps: 1000, onEnd: () => ended++ });
    g.start();
    await waitFor(() => ended === 1);
    expect(g.stats().state).toBe('failed');
    expect(g.stats().error?.message).toBe('ring detached');
    expect(g.running).toBe(false);
  });
});
