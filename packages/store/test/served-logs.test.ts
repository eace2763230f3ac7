import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  appendLabel,
  CorruptLogError,
  FeatureLog,
  featureLogPath,
  FrameFile,
  LabelLog,
  labelLogPath,
  readFeatureBatches,
  readFrames,
  readLabels,
  StoreInputError,
  type FeatureBatch,
} from '../src/index.js';
import { tempDir } from './helpers.js';

const batch = (n: number, first: number, width = 3): FeatureBatch => ({
  count: n,
  width,
  rate: 0.25,
  modelVersion: 'm@1',
  eventTimeMs: Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + first + i),
  txNum: Float64Array.from({ length: n }, (_, i) => (i === 1 ? Number.NaN : first + i)),
  refs: Uint32Array.from({ length: 2 * n }, (_, i) => first * 10 + i),
  score: Float32Array.from({ length: n }, (_, i) => i / n),
  decision: Uint8Array.from({ length: n }, (_, i) => i % 3),
  features: Float32Array.from({ length: n * width }, (_, i) => (i === 2 ? Number.NaN : first + i / 8)),
  ids: new Map([[1, `tx-${first}-é`]]),
});

describe('frame file', () => {
  it('reads back what it wrote, cuts a torn tail at open, and cuts frames past a tag', () => {
    const path = `${tempDir()}/f.flog`;
    const f = FrameFile.open(path);
    for (let i = 1; i <= 5; i++) f.append(i * 10, Buffer.from(`frame ${i}`));
    f.close();
    expect([...readFrames(path)].map((x) => [x.tag, x.payload.toString()])).toEqual([1, 2, 3, 4, 5].map((i) => [i * 10, `frame ${i}`]));
    // A crash mid-write: half a frame at the end.
    appendFileSync(path, Buffer.alloc(30, 7));
    const size = statSync(path).size;
    const g = FrameFile.open(path);
    expect(g.recovery?.droppedBytes).toBe(30);
    expect(statSync(path).size).toBe(size - 30);
    expect(g.cutAfterTag(30)).toEqual({ droppedFrames: 2 });
    g.append(40, Buffer.from('again'));
    g.close();
    expect([...readFrames(path)].map((x) => x.payload.toString())).toEqual(['frame 1', 'frame 2', 'frame 3', 'again']);
  });

  it('follows frames across its 1 MiB read window and past a frame larger than it', () => {
    const path = `${tempDir()}/f.flog`;
    const f = FrameFile.open(path);
    for (let i = 0; i < 3000; i++) f.append(i, Buffer.alloc(1000 + (i % 7), i % 251));
    f.append(3000, Buffer.alloc(1536 * 1024, 9));
    for (let i = 3001; i < 3100; i++) f.append(i, Buffer.alloc(500, 1));
    f.close();
    const g = FrameFile.open(path);
    expect(g.recovery).toBeUndefined();
    expect(g.cutAfterTag(3050)).toEqual({ droppedFrames: 49 });
    g.close();
    const frames = [...readFrames(path)];
    expect(frames.length).toBe(3051);
    expect(frames[2999]!.payload.length).toBe(1000 + (2999 % 7));
    expect(frames[3000]!.payload.length).toBe(1536 * 1024);
    expect(frames.map((x) => x.tag)).toEqual(Array.from({ length: 3051 }, (_, i) => i));
  });

  it('cuts a last frame whose checksum fails at open, and refuses a damaged earlier frame when read', () => {
    const path = `${tempDir()}/f.flog`;
    const f = FrameFile.open(path);
    f.append(1, Buffer.from('first frame'));
    f.append(2, Buffer.from('second frame'));
    f.close();
    const bytes = readFileSync(path);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(path, bytes);
    const g = FrameFile.open(path);
    expect(g.recovery?.reason).toMatch(/checksum/);
    g.append(3, Buffer.from('third frame'));
    g.close();
    const damaged = readFileSync(path);
    damaged[30]! ^= 0xff;
    writeFileSync(path, damaged);
    expect(() => [...readFrames(path)]).toThrow(CorruptLogError);
  });
});

describe('label log', () => {
  it('round-trips labels with and without ids, from one writer and from appendLabel', async () => {
    const dir = tempDir();
    const log = LabelLog.open(dir);
    log.append({ transactionId: 'tx-1', eventTimeMs: 1000, cardRef: '0123456789abcdef', fraud: true, source: 'api', receivedAtMs: 5 });
    log.appendMany('replay', 6, 2, Float64Array.of(2000, 3000), Uint32Array.of(1, 2, 0xffffffff, 4), Uint8Array.of(0, 1));
    await log.sync();
    await appendLabel(dir, { transactionId: 'tx-2', eventTimeMs: Number.NaN, fraud: false, source: 'analyst', receivedAtMs: 7 });
    log.close();
    const got = [...readLabels(dir)];
    expect(got).toEqual([
      { transactionId: 'tx-1', eventTimeMs: 1000, cardRef: '0123456789abcdef', fraud: true, source: 'api', receivedAtMs: 5 },
      { eventTimeMs: 2000, cardRef: '0000000100000002', fraud: false, source: 'replay', receivedAtMs: 6 },
      { eventTimeMs: 3000, cardRef: 'ffffffff00000004', fraud: true, source: 'replay', receivedAtMs: 6 },
      { transactionId: 'tx-2', eventTimeMs: Number.NaN, fraud: false, source: 'analyst', receivedAtMs: 7 },
    ]);
    expect(statSync(labelLogPath(dir)).size).toBeGreaterThan(0);
  });

  it('refuses a bad label naming the field', () => {
    const log = LabelLog.open(tempDir());
    const ok = { transactionId: 'a', eventTimeMs: 1, fraud: true, source: 'api' as const, receivedAtMs: 1 };
    expect(() => log.append({ ...ok, source: 'email' as 'api' })).toThrow(/label\.source must be one of api, kafka/);
    expect(() => log.append({ ...ok, cardRef: 'XYZ' })).toThrow(StoreInputError);
    expect(() => log.append({ ...ok, fraud: 'yes' as unknown as boolean })).toThrow(/label\.fraud/);
    expect(() => log.append({ ...ok, transactionId: undefined })).toThrow(/needs a transactionId or a cardRef/);
    log.close();
  });
});

describe('feature log', () => {
  it('round-trips batches (NaN features, string ids) and cuts the batches past a decision-log count', () => {
    const dir = tempDir();
    const log = FeatureLog.open(dir);
    log.append(5, batch(5, 0));
    log.append(9, batch(4, 100));
    log.append(12, batch(3, 200));
    log.close();
    const all = [...readFeatureBatches(dir)];
    expect(all.map((b) => b.count)).toEqual([5, 4, 3]);
    const want = batch(4, 100);
    const got = all[1]!;
    expect(got.rate).toBe(0.25);
    expect(got.modelVersion).toBe('m@1');
    expect([...got.eventTimeMs]).toEqual([...want.eventTimeMs]);
    expect([...got.txNum]).toEqual([...want.txNum]);
    expect([...got.refs]).toEqual([...want.refs]);
    expect([...got.score]).toEqual([...want.score]);
    expect([...got.decision]).toEqual([...want.decision]);
    expect([...got.features]).toEqual([...want.features]);
    expect(got.ids.get(1)).toBe('tx-100-é');
    // Recovery to a checkpoint that covered 9 decisions: the third batch goes.
    const again = FeatureLog.open(dir);
    expect(again.cutTo(9)).toEqual({ droppedBatches: 1 });
    again.close();
    expect([...readFeatureBatches(dir)].map((b) => b.count)).toEqual([5, 4]);
    // A torn tail from a crash is cut at the next open.
    const size = statSync(featureLogPath(dir)).size;
    truncateSync(featureLogPath(dir), size - 10);
    const torn = FeatureLog.open(dir);
    expect(torn.recovery?.droppedBytes).toBeGreaterThan(0);
    torn.close();
    expect([...readFeatureBatches(dir)].map((b) => b.count)).toEqual([5]);
  });
});
