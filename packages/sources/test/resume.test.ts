import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecodedRecord } from '@fraudstream/schema';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  CsvReplay,
  LiveGenerator,
  Simulator,
  decodeSourceCheckpoint,
  encodeSourceCheckpoint,
  generateCsv,
  type PacedSource,
  type ResumableSource,
  type SourceCheckpoint,
} from '../src/index.js';
import { ArraySink } from './helpers/array-sink.js';
import { waitFor } from './helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'fraudstream-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Source = PacedSource & ResumableSource & { stats(): { state: string } };

/** A record without its ingest time; a label's reference sequence number moved by `shift` (a resumed stream's base). */
function comparable(r: DecodedRecord, shift: number): Omit<DecodedRecord, 'ingestMs'> {
  const { ingestMs: _ingest, ...rest } = r;
  return r.label ? { ...rest, txNum: rest.txNum + shift } : rest;
}

/** Runs a source to its end into an always-draining sink; the records it wrote. */
async function runToEnd(make: (sink: ArraySink) => Source): Promise<DecodedRecord[]> {
  const sink = new ArraySink({ capacity: 1024 });
  const s = make(sink);
  s.start();
  await waitFor(() => s.stats().state === 'ended', 60_000);
  return sink.decoded();
}

/**
 * Runs a source, stopping it `cuts.length` times at the given record counts (between two writes, as a checkpoint
 * barrier does), checkpointing (through the byte encoding a snapshot stores) and resuming a new source from the
 * checkpoint each time; returns every record written, in order, labels' sequence numbers put back on one scale.
 */
async function runWithResumes(
  make: (sink: ArraySink, resume: SourceCheckpoint | undefined) => Source,
  cuts: number[],
  keepState = true,
): Promise<DecodedRecord[]> {
  const out: Omit<DecodedRecord, 'ingestMs'>[] = [];
  let resume: SourceCheckpoint | undefined;
  let base = 0;
  for (const cut of [...cuts, Infinity]) {
    // A sink that holds the source back once `cut - base` records are in it, so it stops exactly there.
    const want = cut - base;
    const sink = new ArraySink({ capacity: Math.max(1, Math.min(64, want)), autoDrain: false });
    const s = make(sink, resume);
    s.start();
    for (;;) {
      await waitFor(() => s.stats().state === 'ended' || sink.head - sink.tail === sink.capacity || sink.head >= want, 60_000);
      if (s.stats().state === 'ended' || sink.head >= want) break;
      sink.drain(Math.min(sink.capacity, want - sink.head));
    }
    s.stop();
    const seqBase = sink.head;
    sink.drain();
    for (const r of sink.decoded()) out.push(comparable(r, base));
    if (s.stats().state === 'ended') break;
    // The source state travels beside the snapshot (its own checkpoint file), the position through the snapshot's bytes.
    const cp = s.checkpoint(seqBase);
    resume = decodeSourceCheckpoint(encodeSourceCheckpoint(cp), 'test');
    if (keepState && cp.state !== undefined) resume.state = cp.state;
    base += seqBase;
  }
  return out as DecodedRecord[];
}

describe('resuming a source from a checkpoint', () => {
  it('a replay resumed at any record writes exactly the rest of the uninterrupted stream, labels included', async () => {
    const path = join(dir, 'tx.csv');
    await generateCsv({ customers: 100, terminals: 200, days: 12, seed: 4 }, path);
    const make = (sink: ArraySink, resume?: SourceCheckpoint): Source =>
      new CsvReplay({ sink, path, tps: 'max', labelDelayDays: 2, ...(resume === undefined ? {} : { resume }) });
    const reference = (await runToEnd(make)).map((r) => comparable(r, 0));
    expect(reference.filter((r) => r.label).length).toBeGreaterThan(100);
    const n = reference.length;
    const resumed = await runWithResumes(make, [1, 777, Math.floor(n / 2), n - 5]);
    expect(resumed.length).toBe(n);
    expect(resumed).toEqual(reference);
  }, 60_000);

  it.each([
    ['handbook', true],
    ['all', true],
    ['handbook', false],
  ] as const)(
    'a generator (scenarios %s, simulator state kept: %s) resumed at any record writes exactly the rest of the uninterrupted stream, labels included',
    async (scenarios, keepState) => {
      const options = { customers: 100, terminals: 200, days: 20, seed: 9, labelDelayDays: 1, scenarios };
      const make = (sink: ArraySink, resume?: SourceCheckpoint): Source =>
        new LiveGenerator({ sink, tps: 'max', ...options, ...(resume === undefined ? {} : { resume }) });
      const reference = (await runToEnd(make)).map((r) => comparable(r, 0));
      const n = reference.length;
      // With the state, a resume generates no past day again (constant time); without it, every day up to the position.
      const nextDay = vi.spyOn(Simulator.prototype, 'nextDay');
      const resumed = await runWithResumes(make, [3, 500, Math.floor(n / 3), Math.floor((2 * n) / 3), n - 2], keepState);
      const days = nextDay.mock.calls.length;
      nextDay.mockRestore();
      expect(resumed.length).toBe(n);
      expect(resumed).toEqual(reference);
      // 20 days (and the end) once each with the state; the fast-forwards add the days before each of the 5 cuts.
      if (keepState) expect(days).toBeLessThanOrEqual(21);
      else expect(days).toBeGreaterThan(21 + 20);
    },
    60_000,
  );

  it('refuses a checkpoint of another file, of other generator options, or bytes that are not a position', async () => {
    const a = join(dir, 'a.csv');
    writeFileSync(a, 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n1,2018-04-01 00:00:10,c1,t1,10.50,0\n2,2018-04-01 00:00:11,c1,t1,10.50,0\n');
    const b = join(dir, 'b.csv');
    writeFileSync(b, 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,MCC\n1,2018-04-01 00:00:10,c1,t1,10.50,0,5411\n2,2018-04-01 00:00:11,c1,t1,10.50,0,5411\n');
    const sink = new ArraySink({ capacity: 1, autoDrain: false });
    const first = new CsvReplay({ sink, path: a, tps: 'max' });
    first.start();
    await waitFor(() => sink.head === 1);
    first.stop();
    const cp = first.checkpoint(1);
    expect(cp.position).toMatchObject({ kind: 'replay', line: 2, transactions: 1 });
    const other = new CsvReplay({ sink: new ArraySink({ capacity: 8 }), path: b, tps: 'max', resume: cp });
    const ended = new Promise<Error | undefined>((resolve) => {
      const r = new CsvReplay({ sink: new ArraySink({ capacity: 8 }), path: b, tps: 'max', resume: cp, onEnd: resolve });
      r.start();
    });
    expect((await ended)?.message).toContain(`${b} is not the file of the checkpoint`);
    expect(other.stats().state).toBe('idle');

    const g = new LiveGenerator({ sink: new ArraySink({ capacity: 8 }), tps: 10, seed: 1, customers: 50, terminals: 100 });
    const gcp = g.checkpoint(0);
    expect(() => new LiveGenerator({ sink: new ArraySink({ capacity: 8 }), tps: 10, seed: 2, customers: 50, terminals: 100, resume: gcp })).toThrow(
      /seed 1, this one 2/,
    );
    expect(() => new CsvReplay({ sink: new ArraySink({ capacity: 8 }), path: a, resume: gcp })).toThrow(/generator position, not a replay/);
    expect(() => decodeSourceCheckpoint(new Uint8Array([1, 2, 3]), 'snap.bin')).toThrow(/snap\.bin: the snapshot holds no source position/);
    const bytes = encodeSourceCheckpoint(cp);
    expect(() => decodeSourceCheckpoint(bytes.subarray(0, 20), 'snap.bin')).toThrow(/snap\.bin: the source position is truncated/);
  });
});
