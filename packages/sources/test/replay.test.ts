import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSV_COLUMNS, hashKey } from '@fraudstream/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { CsvHeaderError, CsvReplay, generateCsv, readCsvRecords, type CsvReplayOptions } from '../src/index.js';
import { ArraySink } from './helpers/array-sink.js';
import { sleep, waitFor } from './helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'fraudstream-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,CHANNEL';
const GOOD = [
  '0,2018-04-01 00:00:10,c1,t1,10.50,0,POS',
  '1,2018-04-01 00:00:20,c2,t2,20.00,1,',
  'tx-abc,2018-04-01 00:00:30,c3,t3,30.25,0,ONLINE',
  '3,2018-04-03 00:00:00,c1,t2,5.00,0,ATM',
];
const BAD: [string, string][] = [
  [',2018-04-01 00:00:11,c1,t1,1.00,0,POS', 'TRANSACTION_ID'],
  ['9,2018-04-01 00:00:12,c1,t1,abc,0,POS', 'TX_AMOUNT'],
  ['9,2018-04-01 00:00:12,c1,t1,Infinity,0,POS', 'TX_AMOUNT'],
  ['9,2018-04-01 00:00:13,c1,t1,-4.00,0,POS', 'TX_AMOUNT'],
  ['9,2018-13-45 99:00:00,c1,t1,4.00,0,POS', 'TX_DATETIME'],
  [`9,2018-04-01 00:00:14,${'x'.repeat(65)},t1,4.00,0,POS`, 'CUSTOMER_ID'],
  ['9,2018-04-01 00:00:15,c1,t1,4.00,0,CARRIER_PIGEON', 'CHANNEL'],
  [`9,2018-04-01 00:00:16,c1,t1,4.00,0,${'y'.repeat(5000)}`, '$'],
  [`9,2018-04-01 00:00:17,c1,t1,4.00,0,${'z'.repeat(300_000)}`, '$'],
];

/** The good rows with the bad ones spread between them (CRLF line ends and a blank line too). */
function mixedFile(name: string): string {
  const lines = [HEADER];
  for (let i = 0; i < GOOD.length; i++) {
    lines.push(GOOD[i]!);
    for (let j = i; j < BAD.length; j += GOOD.length) lines.push(BAD[j]![0]);
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\r\n')}\r\n\r\n`);
  return path;
}

function replay(options: Omit<CsvReplayOptions, 'onEnd'>): Promise<{ r: CsvReplay; error: Error | undefined }> {
  return new Promise((resolve) => {
    const r: CsvReplay = new CsvReplay({ ...options, onEnd: (error) => resolve({ r, error }) });
    r.start();
  });
}

describe('CsvReplay', () => {
  it('rejects bad rows by column, counts them, and replays the good ones in order', async () => {
    const path = mixedFile('mixed.csv');
    const sink = new ArraySink({ capacity: 4 });
    const { r, error } = await replay({ sink, path, labelDelayDays: 1 });
    expect(error).toBeUndefined();
    const s = r.stats();
    expect(s.state).toBe('ended');
    expect(s.generated).toBe(GOOD.length);
    expect(s.rejected).toBe(BAD.length);
    expect(sink.rejects.map((e) => e.field).sort()).toEqual(BAD.map(([, f]) => f).sort());
    for (const e of sink.rejects) expect(e.message).toContain(e.field === '$' ? 'line' : e.field);
    const recs = sink.decoded();
    const txs = recs.filter((x) => !x.label);
    expect(txs.map((x) => x.amount)).toEqual([10.5, 20, 30.25, 5]);
    expect(txs[0]!.cardKey).toBe(hashKey('c1'));
    expect(txs[0]!.channel).toBe('POS');
    expect(txs.map((x) => x.txNum).slice(0, 2)).toEqual([0, 1]);
    expect(Number.isNaN(txs[2]!.txNum)).toBe(true);
    // The string id was handed to the sink for its slot (sequence 2: no label is due before it).
    expect(sink.ids.get(2)).toBe('tx-abc');
    // Labels: three are due (1 day) before the 2018-04-03 row, the last one is flushed at the end of the file.
    expect(recs.map((x) => (x.label ? `L${x.txNum}` : `T${x.amount}`))).toEqual([
      'T10.5', 'T20', 'T30.25', 'L0', 'L1', 'L2', 'T5', 'L6',
    ]);
    expect(recs[4]!.fraud).toBe(true);
    expect(s.labelsEmitted).toBe(4);
    expect(s.backpressureWaits).toBe(0);
  });

  it('fails on a bad header through stats().error and onEnd, without throwing', async () => {
    const path = join(dir, 'bad-header.csv');
    writeFileSync(path, 'ID,WHEN,AMOUNT\n1,2018-04-01 00:00:00,3\n');
    const sink = new ArraySink({ capacity: 4 });
    const { r, error } = await replay({ sink, path });
    expect(error).toBeInstanceOf(CsvHeaderError);
    expect((error as CsvHeaderError).validation.field).toBe('TRANSACTION_ID');
    expect(r.stats().state).toBe('failed');
    expect(r.stats().error).toBe(error);
    expect(r.running).toBe(false);
    expect(sink.head).toBe(0);
  });

  it('fails on a missing file the same way', async () => {
    const sink = new ArraySink({ capacity: 4 });
    const { r, error } = await replay({ sink, path: join(dir, 'nope.csv') });
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(r.stats().state).toBe('failed');
  });

  it('replays a generated file completely, with labels, through a tiny sink (backpressure, nothing lost)', async () => {
    const path = join(dir, 'gen.csv');
    const { rows, frauds } = await generateCsv({ customers: 100, terminals: 200, days: 15, seed: 2 }, path);
    const sink = new ArraySink({ capacity: 16, autoDrain: false });
    const drainer = setInterval(() => sink.drain(), 1);
    const { r, error } = await replay({ sink, path, tps: 'max', labelDelayDays: 7 });
    clearInterval(drainer);
    sink.drain();
    expect(error).toBeUndefined();
    const s = r.stats();
    expect(s).toMatchObject({ generated: rows, labelsEmitted: rows, rejected: 0, pendingLabels: 0 });
    expect(s.backpressureWaits).toBeGreaterThan(0);
    const expected = await readCsvRecords(path, { labelDelayDays: 7 });
    expect(sink.collected.count).toBe(expected.count);
    let diff = 0;
    let fraudLabels = 0;
    for (let i = 0; i < expected.count; i++) {
      const a = sink.collected.views.decode(i);
      const b = expected.views.decode(i);
      if (a.txNum !== b.txNum || a.timestampMs !== b.timestampMs || a.cardKey !== b.cardKey || a.fraud !== b.fraud) diff++;
      if (a.label && a.fraud) fraudLabels++;
    }
    expect(diff).toBe(0);
    expect(fraudLabels).toBe(frauds);
  });

  it('paces a replay at a given tps', async () => {
    const path = join(dir, 'paced.csv');
    await generateCsv({ customers: 100, terminals: 200, days: 5, seed: 2 }, path);
    const sink = new ArraySink({ capacity: 64 });
    const r = new CsvReplay({ sink, path, tps: 50, labels: false });
    r.start();
    await sleep(600);
    r.stop();
    const n = r.stats().generated;
    expect(n).toBeGreaterThanOrEqual(10);
    expect(n).toBeLessThanOrEqual(60);
    r.setTps('max');
    r.start();
    await waitFor(() => r.stats().state === 'ended');
    expect(r.stats().generated).toBeGreaterThan(n);
  });

  it('validates its options', () => {
    const sink = new ArraySink({ capacity: 4 });
    expect(() => new CsvReplay({ sink, path: '' })).toThrow(TypeError);
    expect(() => new CsvReplay({ sink, path: 'x', tps: 0 })).toThrow(RangeError);
    expect(() => new CsvReplay({ sink, path: 'x', tps: 'fast' as unknown as number })).toThrow(TypeError);
    expect(() => new CsvReplay({ sink, path: 'x', labelDelayDays: Number.NaN })).toThrow(TypeError);
  });
});

describe('readCsvRecords', () => {
  it('keeps the first rejected rows with their column and line', async () => {
    const path = mixedFile('mixed2.csv');
    const recs = await readCsvRecords(path, { maxRejectedKept: 3 });
    expect(recs.txCount).toBe(GOOD.length);
    expect(recs.rejectedCount).toBe(BAD.length);
    expect(recs.rejected).toHaveLength(3);
    expect(recs.rejected[0]).toMatchObject({ field: 'TRANSACTION_ID', code: 'missing', line: 3 });
    expect(recs.stringIds.get(2)).toBe('tx-abc');
  });

  it('sorts an unsorted file stably by TX_DATETIME and interleaves labels', async () => {
    const path = join(dir, 'unsorted.csv');
    writeFileSync(
      path,
      [
        CSV_COLUMNS.join(','),
        '10,2018-04-02 00:00:00,a,t,1.00,0,0,0,0',
        '11,2018-04-01 00:00:00,b,t,2.00,0,0,1,1',
        '12,2018-04-02 00:00:00,c,t,3.00,0,0,0,0',
        '13,2018-04-01 12:00:00,d,t,4.00,0,0,1,2',
      ].join('\n'),
    );
    const plain = await readCsvRecords(path);
    expect(plain.sortedInFile).toBe(false);
    expect(Array.from({ length: plain.count }, (_, i) => plain.views.txNum(i))).toEqual([11, 13, 10, 12]);
    expect(Array.from(plain.fraud)).toEqual([1, 1, 0, 0]);
    expect(Array.from(plain.scenario)).toEqual([1, 2, 0, 0]);
    const withLabels = await readCsvRecords(path, { labelDelayDays: 0.5 });
    const order = Array.from({ length: withLabels.count }, (_, i) =>
      withLabels.views.isLabel(i) ? `L${withLabels.views.txNum(i)}` : `T${withLabels.views.txNum(i)}`,
    );
    // Transaction 11 (04-01 00:00) is due at 12:00, as transaction 13 arrives: due <= event time, so it goes first.
    expect(order).toEqual(['T11', 'L0', 'T13', 'L2', 'T10', 'T12', 'L4', 'L5']);
    expect(Array.from(withLabels.txSlots)).toEqual([0, 2, 4, 5]);
  });

  it('rejects the promise on a bad header', async () => {
    const path = join(dir, 'hdr.csv');
    writeFileSync(path, 'TRANSACTION_ID,TX_DATETIME\n');
    await expect(readCsvRecords(path)).rejects.toThrow(CsvHeaderError);
    await expect(readCsvRecords(path)).rejects.toThrow(/CUSTOMER_ID/);
  });
});
