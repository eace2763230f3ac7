import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecisionLog, DecisionLogReader, StoreInputError } from '../src/index.js';
import { makeDecisions, tempDir } from './helpers.js';

const ids = (rows: { transactionId: string }[]): string[] => rows.map((r) => r.transactionId);
const expectedIds = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `tx-${to - 1 - i}`);

describe('reading a log another writer appends to', () => {
  it('follows flushed blocks and new segments, never pending ones', async () => {
    const dir = join(tempDir(), 'decisions');
    const reader = new DecisionLogReader(dir);
    // Before the writer made the directory: an empty page, and a bad query is still an error naming the field.
    expect(reader.query()).toEqual({ rows: [], next: null });
    expect(() => reader.query({ limit: 0 })).toThrow(StoreInputError);

    const log = DecisionLog.open(dir, { blockRecords: 200, segmentBytes: 65536 });
    log.append(makeDecisions(500));
    log.flushNow();
    expect(ids(reader.query({ limit: 1000 }).rows)).toEqual(expectedIds(0, 500));
    // 15 whole blocks are written (on libuv's pool) as they fill; the last 50 decisions stay pending, invisible
    // until the flush.
    log.append(makeDecisions(3050, 500));
    await log.whenWritten();
    expect(reader.records()).toBe(3500);
    log.flushNow();
    expect(readdirSync(dir).filter((n) => n.endsWith('.dlog')).length).toBeGreaterThan(1);
    expect(reader.records()).toBe(3550);
    expect(ids(reader.query({ limit: 10000 }).rows)).toEqual(expectedIds(0, 3550));
    // A cursor taken before more decisions arrived keeps paging back from where it was.
    const page = reader.query({ limit: 100, decisions: ['REVIEW'] });
    log.append(makeDecisions(100, 3550));
    log.flushNow();
    const older = reader.query({ limit: 100, decisions: ['REVIEW'], before: page.next ?? '' });
    const all = log.query({ limit: 100000, decisions: ['REVIEW'] }).rows.filter((r) => r.record < 3550);
    expect(ids(older.rows)).toEqual(ids(all.slice(100, 200)));
    log.close();
    reader.close();
  });

  it('opens the log again after the writer truncated it to a checkpoint', async () => {
    const dir = join(tempDir(), 'decisions');
    const log = DecisionLog.open(dir, { blockRecords: 100 });
    log.append(makeDecisions(300));
    const checkpoint = log.flushNow();
    log.append(makeDecisions(300, 300));
    log.flushNow();
    const reader = new DecisionLogReader(dir);
    expect(reader.records()).toBe(600);
    // The pool's writes of the blocks flushNow wrote again must land before the file is cut.
    await log.whenWritten();
    log.truncateTo(checkpoint);
    expect(reader.records()).toBe(300);
    // Re-decided after the checkpoint (different rows this time): the reader sees the new ones, not the old.
    log.append(makeDecisions(250, 1000));
    log.flushNow();
    expect(ids(reader.query({ limit: 1000 }).rows)).toEqual([...expectedIds(1000, 1250), ...expectedIds(0, 300)]);
    log.close();
    reader.close();
  });
});
