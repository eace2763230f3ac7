import { readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelPath, Engine } from '@fraudstream/engine';
import { RECORD_SIZE, RecordViews } from '@fraudstream/schema';
import { featureNames, ruleNames } from '@fraudstream/scorer';
import { appendDecidedBatch, CardRefHasher, DecisionLog } from '@fraudstream/store';
import { describe, expect, it } from 'vitest';

const T0 = Date.UTC(2018, 7, 1);
const SECRET = Buffer.alloc(32, 9);

/** 3,000 records: integer and string ids, every fourth a label of an earlier one, amounts from small to huge. */
function input(): RecordViews {
  const n = 3000;
  const src = new RecordViews(new SharedArrayBuffer(n * RECORD_SIZE));
  for (let i = 0; i < n; i++) {
    if (i % 4 === 3) {
      src.writeLabel(i, i - 3, T0 + i * 1000, src.cardKeyLo(i - 3), src.cardKeyHi(i - 3), 0, 0, i % 8 === 7, 0);
      continue;
    }
    const id = i % 50 === 1 ? `tx-${i}` : String(100_000 + i);
    src.writeTransaction(i, { id, cardId: `card-${i % 37}`, terminalId: `t-${i % 11}`, amount: i % 13 === 0 ? 9000 + i : 5 + (i % 90), currency: 'EUR', timestampMs: T0 + i * 1000 }, 0);
  }
  return src;
}

/** Runs the input through an engine and appends every decided batch to a new log; the log's files and batch counts. */
async function run(staged: boolean): Promise<{ files: Map<string, Buffer>; batches: number; stagedBatches: number; records: number }> {
  const modelJson = await readFile(defaultModelPath(), 'utf8');
  const engine = await Engine.create({ modelJson, modelVersion: 'm-1', workers: 2, maxBatch: 96, cardRefSecret: SECRET, stageDecisionColumns: staged, thresholds: { review: 0.02, decline: 0.5 } });
  const dir = mkdtempSync(join(tmpdir(), 'fs-staged-'));
  // Small blocks, so runs are split across blocks too.
  const log = DecisionLog.open(dir, { blockRecords: 100 });
  const hasher = new CardRefHasher(SECRET);
  const naming = { ruleNames, featureNames, modelVersion: 'm-1', generation: (g: number) => engine.generationInfo(g) };
  let batches = 0;
  let stagedBatches = 0;
  engine.onBatch((b) => {
    batches++;
    if (b.staged !== undefined) stagedBatches++;
    appendDecidedBatch(log, hasher, b.records, b.results, b.slot, b.count, naming, (s) => engine.stringId(s), undefined, b.staged);
  });
  const src = input();
  // Chunks of 7 records: batches of varied size (a linger cut, a full cut) start at varied slots. As a source does,
  // string ids are set beside the ring (the records carry NaN for them).
  const written = { transactions: 0, labels: 0 };
  engine.addWriter(() => written);
  for (let i = 0; i < 3000; ) {
    const n = engine.sink.claim(Math.min(7, 3000 - i));
    if (n === 0) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    for (let k = 0; k < n; k++, i++) {
      const slot = engine.sink.claimedSlot + k;
      engine.sink.views.copyFrom(src, i, slot);
      engine.sink.dueMs[slot] = performance.timeOrigin + performance.now();
      if (i % 50 === 1 && i % 4 !== 3) engine.sink.setId(slot, `tx-${i}`);
      if (src.isLabel(i)) written.labels++;
      else written.transactions++;
    }
    engine.sink.publish(n);
    if (i % 210 === 0) await new Promise((r) => setImmediate(r));
  }
  await engine.drain();
  await engine.close();
  const records = log.records();
  log.close();
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.dlog'))) files.set(name, readFileSync(join(dir, name)));
  return { files, batches, stagedBatches, records };
}

describe('decision-log columns staged by the scoring workers', () => {
  it('write a log byte for byte identical to the one read from the records, and are used for every batch', async () => {
    const plain = await run(false);
    const staged = await run(true);
    expect(plain.stagedBatches).toBe(0);
    // The fast path was taken: every batch carried its columns (none was decided by the fallback).
    expect(staged.batches).toBeGreaterThan(10);
    expect(staged.stagedBatches).toBe(staged.batches);
    expect(staged.records).toBe(2250);
    expect(plain.records).toBe(2250);
    expect([...staged.files.keys()]).toEqual([...plain.files.keys()]);
    for (const [name, bytes] of plain.files) expect(Buffer.compare(staged.files.get(name) as Buffer, bytes), name).toBe(0);
  });
});
