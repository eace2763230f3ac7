import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptLogError, DecisionLog, decisionIdOf, HEADER_SIZE, StoreInputError, type StoredDecision } from '../src/index.js';
import { hasher, makeDecisions, tempDir } from './helpers.js';

const segmentsOf = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.dlog')).sort().map((f) => join(dir, f));
const all = (log: DecisionLog, query = {}): StoredDecision[] => [...log.scan(query)];

describe('decision log: append, flush, reopen', () => {
  it('reads back every decision exactly as appended, newest first, after a reopen', async () => {
    const dir = tempDir();
    const input = makeDecisions(5000);
    const log = DecisionLog.open(dir, { blockRecords: 256 });
    log.append(input);
    const durable = await log.sync();
    expect(durable).toBe(log.position());
    expect(log.records()).toBe(5000);
    log.close();

    const again = DecisionLog.open(dir);
    expect(again.recovery).toBeUndefined();
    expect(again.records()).toBe(5000);
    expect(again.position()).toBe(durable);
    const rows = all(again);
    expect(rows).toHaveLength(5000);
    expect(rows.reverse()).toEqual(
      input.map((d, k) => ({ ...d, record: k, score: Math.fround(d.score), reasons: [...d.reasons], decisionId: decisionIdOf(d.transactionId) })),
    );
    again.close();
  });

  it('keeps added decisions pending (invisible, not written) until a flush, a sync or a full block', () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 100 });
    log.append(makeDecisions(99));
    expect(log.pendingRecords()).toBe(99);
    expect(log.position()).toBe(0);
    expect(log.query().rows).toHaveLength(0);
    log.append(makeDecisions(1, 99));
    // The 100th decision filled the block, which was written at once.
    expect(log.pendingRecords()).toBe(0);
    expect(log.position()).toBeGreaterThan(0);
    log.append(makeDecisions(5, 100));
    const pos = log.flushNow();
    expect(pos).toBe(log.position());
    expect(log.query({ limit: 1000 }).rows).toHaveLength(105);
    log.close();
  });

  it('keeps non-ASCII transaction ids and reasons intact', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir);
    log.append([{ transactionId: 'tx-é-€-😀', eventTimeMs: 1, score: 0.7, decision: 'REVIEW', reasons: ['règle', 'AMOUNT_HIGH'], modelVersion: 'm-ü', cardRef: hasher.refOf('c') }]);
    log.close();
    const r = DecisionLog.open(dir, { readOnly: true }).query().rows[0]!;
    expect([r.transactionId, r.reasons, r.modelVersion]).toEqual(['tx-é-€-😀', ['règle', 'AMOUNT_HIGH'], 'm-ü']);
  });

  it('takes integer transaction ids as numbers (no string made) and reads them back as the same strings', () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir);
    const ref = hasher.refOf('c');
    const [hi, lo] = [Number.parseInt(ref.slice(0, 8), 16), Number.parseInt(ref.slice(8), 16)];
    log.add(0, 1, 0.1, 0, [], 'm', hi, lo);
    log.add(2 ** 53 - 1, 2, 0.2, 1, ['R'], 'm', hi, lo);
    log.add('007', 3, 0.3, 2, ['R'], 'm', hi, lo);
    expect(() => log.add(-1, 4, 0.1, 0, [], 'm', hi, lo)).toThrow(/transactionId must be a string of 1 to 64 characters or an integer/);
    expect(() => log.add(1.5, 4, 0.1, 0, [], 'm', hi, lo)).toThrow(/transactionId/);
    log.flushNow();
    expect(log.query().rows.map((r) => [r.transactionId, r.decisionId, r.cardRef])).toEqual([
      ['007', decisionIdOf('007'), ref],
      [String(2 ** 53 - 1), decisionIdOf('9007199254740991'), ref],
      ['0', decisionIdOf('0'), ref],
    ]);
    log.close();
  });

  it('rolls to a new segment file past segmentBytes and reads across segments', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 200, segmentBytes: 65536 });
    log.append(makeDecisions(20_000));
    await log.sync();
    log.close();
    const files = segmentsOf(dir);
    expect(files.length).toBeGreaterThan(3);
    // Each file is named by the log position of its first byte.
    let pos = 0;
    for (const f of files) {
      expect(Number(f.slice(-25, -5))).toBe(pos);
      pos += statSync(f).size;
    }
    const again = DecisionLog.open(dir);
    expect(again.records()).toBe(20_000);
    expect(again.position()).toBe(pos);
    expect(all(again).map((r) => r.record)).toEqual(Array.from({ length: 20_000 }, (_, k) => 19_999 - k));
    again.close();
  });

  it('validates each decision, naming the field', () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir);
    const good = makeDecisions(1)[0]!;
    const bad = (patch: object) => () => log.append([{ ...good, ...patch }]);
    expect(bad({ transactionId: 'x'.repeat(65) })).toThrow(/transactionId must be a string of 1 to 64/);
    expect(bad({ transactionId: '' })).toThrow(StoreInputError);
    expect(bad({ score: 1.5 })).toThrow(/score must be a number from 0 to 1/);
    expect(bad({ score: -0.01 })).toThrow(/score/);
    expect(bad({ eventTimeMs: Number.POSITIVE_INFINITY })).toThrow(/eventTimeMs/);
    expect(bad({ decision: 'MAYBE' })).toThrow(/decision must be APPROVE, REVIEW or DECLINE/);
    expect(bad({ reasons: Array(17).fill('r') })).toThrow(/reasons must be an array of at most 16/);
    expect(bad({ reasons: [''] })).toThrow(/reasons/);
    expect(bad({ modelVersion: '' })).toThrow(/modelVersion/);
    expect(bad({ cardRef: 'card-1' })).toThrow(/cardRef must be 16 lower-case hex digits/);
    try {
      bad({ score: 2 })();
    } catch (err) {
      expect((err as StoreInputError).field).toBe('score');
    }
    expect(log.records()).toBe(0);
    log.close();
  });

  it('refuses a second writer on the same directory but lets readers in', () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir);
    expect(() => DecisionLog.open(dir)).toThrow(/already open in this process/);
    const reader = DecisionLog.open(dir, { readOnly: true });
    expect(() => reader.append(makeDecisions(1))).toThrow(/read-only/);
    reader.close();
    log.close();
    // A lock left by a dead process (a crash) is taken over.
    writeFileSync(join(dir, 'LOCK'), '999999999');
    DecisionLog.open(dir).close();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });
});

describe('decision log: truncate to a checkpointed position', () => {
  it('rewinds to a synced position so re-made decisions appear once, and stays rewound after a reopen', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 64 });
    log.append(makeDecisions(1000));
    const checkpoint = await log.sync();
    log.append(makeDecisions(500, 1000));
    await log.sync();
    log.append(makeDecisions(10, 1500)); // pending, never flushed
    log.truncateTo(checkpoint);
    expect(log.records()).toBe(1000);
    expect(log.position()).toBe(checkpoint);
    // Recovery re-decides the transactions after the checkpoint: each ends up in the log once.
    log.append(makeDecisions(510, 1000));
    await log.sync();
    log.close();
    const again = DecisionLog.open(dir);
    const ids = all(again).map((r) => r.transactionId);
    expect(ids).toHaveLength(1510);
    expect(new Set(ids).size).toBe(1510);
    expect(all(again).map((r) => r.record)).toEqual(Array.from({ length: 1510 }, (_, k) => 1509 - k));
    again.close();
  });

  it('deletes later segments when the position is in an earlier one', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 100, segmentBytes: 65536 });
    log.append(makeDecisions(2000));
    const checkpoint = await log.sync();
    log.append(makeDecisions(20_000, 2000));
    await log.sync();
    expect(segmentsOf(dir).length).toBeGreaterThan(2);
    log.truncateTo(checkpoint);
    expect(segmentsOf(dir).every((f) => Number(f.slice(-25, -5)) < checkpoint)).toBe(true);
    log.append(makeDecisions(3, 2000));
    log.close();
    const again = DecisionLog.open(dir);
    expect(again.records()).toBe(2003);
    expect(all(again)[0]!.transactionId).toBe('tx-2002');
    again.close();
  });

  it('refuses a position that is not a block boundary or is past the end, naming the field', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir);
    log.append(makeDecisions(10));
    const end = await log.sync();
    expect(() => log.truncateTo(end - 1)).toThrow(/position \d+ is not a block boundary/);
    expect(() => log.truncateTo(end + 64)).toThrow(/position must be an integer from 0 to the log's end/);
    expect(() => log.truncateTo(1.5)).toThrow(StoreInputError);
    expect(log.records()).toBe(10);
    log.truncateTo(0);
    expect(log.records()).toBe(0);
    log.close();
  });
});

describe('decision log: torn or corrupt tail on open', () => {
  async function threeBlocks(dir: string): Promise<number[]> {
    const log = DecisionLog.open(dir, { blockRecords: 100 });
    const ends: number[] = [];
    for (let b = 0; b < 3; b++) {
      log.append(makeDecisions(100, b * 100));
      ends.push(log.flushNow());
    }
    await log.sync();
    log.close();
    return ends;
  }

  it('cuts a torn last block (file truncated mid-block) and reports it', async () => {
    const dir = tempDir();
    const [, second, third] = await threeBlocks(dir);
    const file = segmentsOf(dir)[0]!;
    truncateSync(file, third! - 10);
    const log = DecisionLog.open(dir);
    expect(log.recovery).toEqual({ file, offset: second, reason: expect.stringMatching(/block body truncated/), droppedBytes: third! - 10 - second! });
    expect(log.records()).toBe(200);
    expect(statSync(file).size).toBe(second);
    // The log goes on from the last valid block.
    log.append(makeDecisions(100, 200));
    log.close();
    const again = DecisionLog.open(dir);
    expect(again.recovery).toBeUndefined();
    expect(again.records()).toBe(300);
    again.close();
  });

  it('cuts a last block whose bytes are corrupt (checksum mismatch)', async () => {
    const dir = tempDir();
    const [, second] = await threeBlocks(dir);
    const file = segmentsOf(dir)[0]!;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from([0xff, 0xee]), 0, 2, second! + HEADER_SIZE + 40);
    closeSync(fd);
    const log = DecisionLog.open(dir);
    expect(log.recovery?.reason).toBe('body checksum mismatch');
    expect(log.recovery?.offset).toBe(second);
    expect(log.records()).toBe(200);
    log.close();
  });

  it('cuts a partial header and garbage after the last block', async () => {
    const dir = tempDir();
    const [, , third] = await threeBlocks(dir);
    const file = segmentsOf(dir)[0]!;
    writeFileSync(file, Buffer.from('garbage!'), { flag: 'a' });
    let log = DecisionLog.open(dir);
    expect(log.recovery).toMatchObject({ offset: third, reason: expect.stringMatching(/truncated header/), droppedBytes: 8 });
    log.close();
    writeFileSync(file, Buffer.alloc(200, 7), { flag: 'a' });
    log = DecisionLog.open(dir);
    expect(log.recovery).toMatchObject({ offset: third, reason: 'bad block magic', droppedBytes: 200 });
    expect(log.records()).toBe(300);
    log.close();
  });

  it('drops every block after a corrupt one in the last segment', async () => {
    const dir = tempDir();
    const [first, , third] = await threeBlocks(dir);
    const file = segmentsOf(dir)[0]!;
    const bytes = readFileSync(file);
    bytes[first! + 20]! ^= 0x01; // inside the second block's header
    writeFileSync(file, bytes);
    const log = DecisionLog.open(dir);
    expect(log.recovery).toMatchObject({ offset: first, reason: 'header checksum mismatch', droppedBytes: third! - first! });
    expect(log.records()).toBe(100);
    log.close();
  });

  it('read-only: reports a damaged tail and ignores it without changing the file', async () => {
    const dir = tempDir();
    const [, second, third] = await threeBlocks(dir);
    const file = segmentsOf(dir)[0]!;
    truncateSync(file, third! - 1);
    const log = DecisionLog.open(dir, { readOnly: true });
    expect(log.recovery?.offset).toBe(second);
    expect(log.records()).toBe(200);
    expect(statSync(file).size).toBe(third! - 1);
    log.close();
  });

  it('refuses a log whose damage is in an earlier segment, naming the file and offset', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 100, segmentBytes: 65536 });
    log.append(makeDecisions(10_000));
    log.close();
    const first = segmentsOf(dir)[0]!;
    const bytes = readFileSync(first);
    bytes[3]! ^= 0x10; // the first block's magic
    writeFileSync(first, bytes);
    expect(() => DecisionLog.open(dir)).toThrow(CorruptLogError);
    expect(() => DecisionLog.open(dir)).toThrow(new RegExp(`${first} at byte 0: bad block magic`));
  });

  it('detects a corrupt body in an earlier segment when a query reads it', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 100, segmentBytes: 65536 });
    log.append(makeDecisions(10_000));
    log.close();
    const first = segmentsOf(dir)[0]!;
    const bytes = readFileSync(first);
    bytes[HEADER_SIZE + 10]! ^= 0x10; // the first block's body: only bodies of the last segment are checked on open
    writeFileSync(first, bytes);
    const reader = DecisionLog.open(dir, { readOnly: true });
    expect(reader.query({ limit: 100 }).rows).toHaveLength(100);
    expect(() => all(reader)).toThrow(/at byte 0: body checksum mismatch/);
    reader.close();
  });
});

describe('decision log: queries and paging', () => {
  async function filled(n = 3000): Promise<{ log: DecisionLog; input: ReturnType<typeof makeDecisions> }> {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 128 });
    const input = makeDecisions(n);
    log.append(input);
    await log.sync();
    return { log, input };
  }

  it('filters by event-time range [since, until), decision and card, newest first', async () => {
    const { log, input } = await filled();
    const since = input[1000]!.eventTimeMs;
    const until = input[1200]!.eventTimeMs;
    const card = hasher.refOf('card-3');
    const expected = input
      .filter((d) => d.eventTimeMs >= since && d.eventTimeMs < until && d.decision !== 'APPROVE' && d.cardRef === card)
      .map((d) => d.transactionId)
      .reverse();
    expect(expected.length).toBeGreaterThan(2);
    const got = log.query({ since, until, decisions: ['REVIEW', 'DECLINE'], cardRef: card, limit: 1000 });
    expect(got.rows.map((r) => r.transactionId)).toEqual(expected);
    expect(got.next).toBeNull();
    expect(log.query({ since, until, limit: 1000 }).rows).toHaveLength(200);
    expect(log.query({ decisions: ['DECLINE'], limit: 1000 }).rows.every((r) => r.decision === 'DECLINE')).toBe(true);
    expect(log.query({ cardRef: hasher.refOf('no-such-card') }).rows).toHaveLength(0);
    log.close();
  });

  it('pages back through every alert with the cursor: no gap, no duplicate, in order', async () => {
    const { log, input } = await filled();
    const expected = input.filter((d) => d.decision !== 'APPROVE').map((d) => d.transactionId).reverse();
    const seen: string[] = [];
    let before: string | undefined;
    let pages = 0;
    for (;;) {
      const page = log.query({ decisions: ['REVIEW', 'DECLINE'], limit: 37, before });
      seen.push(...page.rows.map((r) => r.transactionId));
      pages++;
      if (page.next === null) break;
      before = page.next;
    }
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 37) + (expected.length % 37 === 0 ? 1 : 0));
    log.close();
  });

  it('a cursor stays valid while new decisions are appended', async () => {
    const { log } = await filled(1000);
    const first = log.query({ limit: 10 });
    log.append(makeDecisions(500, 1000));
    log.flushNow();
    const second = log.query({ limit: 10, before: first.next! });
    expect(second.rows[0]!.record).toBe(first.rows[9]!.record - 1);
    log.close();
  });

  it('rejects bad queries, naming the field', async () => {
    const { log } = await filled(10);
    expect(() => log.query({ limit: 0 })).toThrow(/query.limit must be an integer from 1 to 100000/);
    expect(() => log.query({ limit: 100_001 })).toThrow(/query.limit/);
    expect(() => log.query({ before: 'abc' })).toThrow(/query.before must be a cursor/);
    expect(() => log.query({ before: '999' })).toThrow(/query.before/);
    expect(() => log.query({ cardRef: 'CARD' })).toThrow(/query.cardRef must be 16 lower-case hex digits/);
    expect(() => log.query({ decisions: ['NOPE' as 'REVIEW'] })).toThrow(/query.decisions/);
    expect(() => log.query({ decisions: [] })).toThrow(/query.decisions/);
    expect(() => log.query({ since: 10, until: 5 })).toThrow(/query.until must be after query.since/);
    expect(() => log.query({ since: Number.NaN })).toThrow(/query.since/);
    log.close();
  });
});

describe('decision ids and card references', () => {
  it('decision ids are a function of the transaction id only: 32 hex digits, distinct per transaction', () => {
    expect(decisionIdOf('tx-1')).toMatch(/^[0-9a-f]{32}$/);
    expect(decisionIdOf('tx-1')).toBe(decisionIdOf('tx-1'));
    expect(decisionIdOf('tx-1')).not.toBe(decisionIdOf('tx-2'));
    const ids = new Set(Array.from({ length: 10_000 }, (_, k) => decisionIdOf(String(k))));
    expect(ids.size).toBe(10_000);
  });

  it('the same transaction decided by two model versions gets the same decision id', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir);
    const [d] = makeDecisions(1);
    log.append([{ ...d!, modelVersion: 'v1' }, { ...d!, modelVersion: 'v2', score: 0.99 }]);
    log.flushNow();
    const [a, b] = log.query().rows;
    expect([a!.modelVersion, b!.modelVersion]).toEqual(['v2', 'v1']);
    expect(a!.decisionId).toBe(b!.decisionId);
    log.close();
  });
});

describe("decision log: writes on libuv's pool", () => {
  it('writes sealed blocks in order off the appending thread: the files equal a log written on the thread', async () => {
    const [a, b] = [tempDir(), tempDir()];
    const input = makeDecisions(20_000);
    const pooled = DecisionLog.open(a, { blockRecords: 128, segmentBytes: 65536 });
    const direct = DecisionLog.open(b, { blockRecords: 128, segmentBytes: 65536 });
    for (let k = 0; k < input.length; k += 1000) {
      pooled.append(input.slice(k, k + 1000));
      pooled.flush();
      // Let the pool's writes call back now and then, as the engine's event loop does between batches.
      if (k % 3000 === 0) await new Promise((r) => setImmediate(r));
      direct.append(input.slice(k, k + 1000));
      direct.flushNow();
    }
    // Sealed blocks are counted and positioned at once; queries see a block once its write has landed.
    expect(pooled.position()).toBe(direct.position());
    await pooled.whenWritten();
    expect(pooled.queuedBlocks()).toBe(0);
    expect(pooled.query({ limit: 100_000 }).rows).toEqual(direct.query({ limit: 100_000 }).rows);
    expect(await pooled.sync()).toBe(direct.syncNow());
    pooled.close();
    direct.close();
    const [fa, fb] = [segmentsOf(a), segmentsOf(b)];
    expect(fa.length).toBeGreaterThan(3);
    expect(fa.map((f) => f.slice(a.length))).toEqual(fb.map((f) => f.slice(b.length)));
    for (let k = 0; k < fa.length; k++) expect(readFileSync(fa[k]!).equals(readFileSync(fb[k]!))).toBe(true);
  });

  it('sync() waits for the queued writes; syncNow() and close() write what the pool has not, on the thread', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 64 });
    log.append(makeDecisions(640));
    expect(log.queuedBlocks()).toBeGreaterThan(0);
    const durable = await log.sync();
    expect(durable).toBe(log.position());
    expect(log.queuedBlocks()).toBe(0);
    expect(statSync(segmentsOf(dir)[0]!).size).toBe(durable);
    // Queued and never called back: close() writes them itself, so a reopen has every decision.
    log.append(makeDecisions(640, 640));
    expect(log.queuedBlocks()).toBeGreaterThan(0);
    log.close();
    const again = DecisionLog.open(dir, { readOnly: true });
    expect(again.recovery).toBeUndefined();
    expect(again.records()).toBe(1280);
    again.close();
  });

  it('sync() returns once its own position is written, though blocks keep being sealed behind it', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 64 });
    log.append(makeDecisions(6400));
    const target = log.flush();
    let synced = -1;
    const sync = log.sync().then((p) => (synced = p));
    // A busy engine: a new block sealed on every turn of the event loop, so the queue is never empty.
    let k = 6400;
    while (synced < 0 && k < 6400 + 64 * 2000) {
      log.append(makeDecisions(64, k));
      k += 64;
      await new Promise((r) => setImmediate(r));
    }
    await sync;
    expect(synced).toBeGreaterThanOrEqual(target);
    expect(k).toBeLessThan(6400 + 64 * 2000);
    log.close();
  });

  it('bounds the blocks waiting for the pool: past maxQueuedBytes the appending thread writes them', () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 64, maxQueuedBytes: 16 * 1024 });
    const input = makeDecisions(6400);
    let most = 0;
    // One synchronous run: no write can call back, so without the bound all 100 blocks would wait in memory.
    for (let k = 0; k < input.length; k += 64) {
      log.append(input.slice(k, k + 64));
      most = Math.max(most, log.queuedBlocks());
    }
    expect(log.records()).toBe(6400);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThan(16 * 1024 / (64 * 20));
    expect(() => DecisionLog.open(tempDir(), { maxQueuedBytes: -1 })).toThrow(/options\.maxQueuedBytes/);
    log.close();
  });

  it('a failed pool write (ENOSPC) is thrown by the next add, flush and sync, and close() still releases the log', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 64 });
    log.append(makeDecisions(64));
    await log.sync();
    // The fault: the log's write descriptor now points at /dev/full, where every write fails with ENOSPC.
    const internals = log as unknown as { writeFd: number };
    const real = internals.writeFd;
    internals.writeFd = openSync('/dev/full', 'w');
    log.append(makeDecisions(64, 64));
    await expect(log.sync()).rejects.toThrow(/ENOSPC/);
    expect(() => log.append(makeDecisions(1, 128))).toThrow(/ENOSPC/);
    expect(() => log.flush()).toThrow(/ENOSPC/);
    closeSync(internals.writeFd);
    internals.writeFd = real;
    expect(() => log.close()).toThrow(/ENOSPC/);
    // The lock is gone and the first, synced block is intact.
    const again = DecisionLog.open(dir);
    expect(again.records()).toBe(64);
    again.close();
  });
});

describe('decision log: syncs in flight', () => {
  it('close() during a background sync keeps every decision and leaves the log readable', async () => {
    const dir = tempDir();
    const log = DecisionLog.open(dir, { blockRecords: 100 });
    log.append(makeDecisions(1000));
    const pending = log.sync();
    expect(() => log.truncateTo(0)).toThrow(/truncateTo must wait for pending sync/);
    log.append(makeDecisions(50, 1000));
    log.close();
    expect(await pending).toBeGreaterThan(0);
    const again = DecisionLog.open(dir);
    expect(again.records()).toBe(1050);
    expect(again.recovery).toBeUndefined();
    again.close();
  });
});
