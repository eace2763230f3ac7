import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSV_COLUMNS, Offset, RECORD_SIZE, hashKey } from '@fraudstream/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCsv, LiveGenerator, readCsvRecords, Simulator } from '../src/index.js';
import { ArraySink } from './helpers/array-sink.js';
import { waitFor } from './helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'fraudstream-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SMALL = { customers: 300, terminals: 600, days: 20, start: '2019-03-30', seed: 11 };
const HANDBOOK = { ...SMALL, scenarios: 'handbook' as const };

describe('generateCsv', () => {
  it('writes the interchange format deterministically', async () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    const c = join(dir, 'c.csv');
    const ra = await generateCsv(HANDBOOK, a);
    const rb = await generateCsv(HANDBOOK, b);
    await generateCsv({ ...HANDBOOK, seed: 12 }, c);
    expect(rb).toEqual(ra);
    const text = readFileSync(a, 'utf8');
    expect(readFileSync(b, 'utf8')).toBe(text);
    expect(readFileSync(c, 'utf8')).not.toBe(text);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines.length - 1).toBe(ra.rows);
    expect(ra.rows).toBeGreaterThan(300 * 20 * 1.5);
    let frauds = 0;
    const row = /^(\d+),(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d+),(\d+),(\d+\.\d{2}),(\d+),(\d+),([01]),([0-3])$/;
    for (let i = 1; i < lines.length; i++) {
      const m = row.exec(lines[i]!);
      if (m === null) throw new Error(`bad line ${i}: ${lines[i]}`);
      if (Number(m[1]) !== i - 1) throw new Error(`id ${m[1]} on line ${i}`);
      const ms = Date.parse(`${m[2]!.replace(' ', 'T')}Z`);
      if (ms !== Date.UTC(2019, 2, 30) + Number(m[6]) * 1000) throw new Error(`datetime on line ${i}`);
      if (Math.floor(Number(m[6]) / 86400) !== Number(m[7])) throw new Error(`day on line ${i}`);
      frauds += Number(m[8]);
    }
    expect(frauds).toBe(ra.frauds);
    // Across the DST change (2019-03-31 in Europe) times stay UTC.
    expect(text).toContain('2019-03-31 02:');
  });

  it('validates its options', async () => {
    await expect(generateCsv({ days: 0 }, join(dir, 'x.csv'))).rejects.toThrow('options.days must be an integer');
    await expect(generateCsv({}, '')).rejects.toThrow(TypeError);
  });

  it('round-trips through readCsvRecords: the same transactions as the simulator', async () => {
    const path = join(dir, 'rt.csv');
    const { rows } = await generateCsv(SMALL, path);
    const recs = await readCsvRecords(path);
    expect(recs.txCount).toBe(rows);
    expect(recs.count).toBe(rows);
    expect(recs.rejectedCount).toBe(0);
    expect(recs.sortedInFile).toBe(true);
    expect(recs.labelled).toBe(true);
    const sim = new Simulator(SMALL);
    let k = 0;
    let mismatches = 0;
    for (let b = sim.nextDay(); b !== undefined; b = sim.nextDay()) {
      for (let i = 0; i < b.count; i++, k++) {
        const r = recs.views.decode(k);
        if (
          r.txNum !== b.firstId + i ||
          r.timestampMs !== b.dayStartMs + b.timeSec[i]! * 1000 ||
          r.amount !== b.amount[i] ||
          r.cardKey !== hashKey(String(b.customer[i])) ||
          r.terminalKey !== hashKey(String(b.terminal[i])) ||
          r.label ||
          r.currency !== 'EUR' ||
          recs.fraud[k] !== b.fraud[i] ||
          recs.scenario[k] !== b.scenario[i] ||
          recs.txTimestampsMs[k] !== r.timestampMs
        ) {
          mismatches++;
        }
      }
    }
    expect(k).toBe(rows);
    expect(mismatches).toBe(0);
  });

  it('round-trips with labels: readCsvRecords gives exactly the live generator stream', async () => {
    const opts = { ...SMALL, days: 12 };
    const path = join(dir, 'labels.csv');
    const { rows } = await generateCsv(opts, path);
    const recs = await readCsvRecords(path, { labelDelayDays: 2.5 });
    expect(recs.count).toBe(2 * rows);

    const sink = new ArraySink({ capacity: 4096 });
    let ended = false;
    const gen = new LiveGenerator({ ...opts, sink, tps: 5_000_000, labelDelayDays: 2.5, onEnd: () => (ended = true) });
    gen.start();
    await waitFor(() => ended);
    expect(gen.stats()).toMatchObject({ state: 'ended', generated: rows, labelsEmitted: rows, pendingLabels: 0 });
    expect(sink.collected.count).toBe(recs.count);
    const a = sink.collected.views;
    const b = recs.views;
    let diff = 0;
    for (let s = 0; s < recs.count; s++) {
      // Every byte but ingestMs (the wall clock when the record was written).
      const ra = a.bytes(s, 1);
      const rb = b.bytes(s, 1);
      for (let i = 0; i < RECORD_SIZE; i++) {
        if (i >= Offset.ingestMs && i < Offset.ingestMs + Float64Array.BYTES_PER_ELEMENT) continue;
        if (ra[i] !== rb[i]) diff++;
      }
    }
    expect(diff).toBe(0);
    // Each label follows its transaction by the delay: the first later transaction is at or past tsMs + delay.
    const delayMs = 2.5 * 86_400_000;
    let early = 0;
    let refMismatch = 0;
    let lastTxTs = -Infinity;
    for (let s = 0; s < recs.count; s++) {
      if (b.isLabel(s)) {
        const ref = b.txNum(s);
        if (b.isLabel(ref) || b.timestampMs(ref) !== b.timestampMs(s)) refMismatch++;
        if (lastTxTs >= b.timestampMs(s) + delayMs) early++; // would have been due before the previous transaction
      } else {
        lastTxTs = b.timestampMs(s);
      }
    }
    expect(refMismatch).toBe(0);
    expect(early).toBe(0);
  });
});
