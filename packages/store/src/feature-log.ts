import { join } from 'node:path';
import { FrameFile, readFrames, type FrameRecovery } from './frame-file.js';

/** The served-feature log's file in a data dir. */
export const FEATURE_LOG_FILE = 'features/served.flog';
const VERSION = 1;
const HEAD = 32;

/** The served-feature log's path in `dataDir`. */
export const featureLogPath = (dataDir: string): string => join(dataDir, FEATURE_LOG_FILE);

/**
 * The rows of one batch: per row event time, integer transaction id (NaN: see `ids`), card reference (hi, lo),
 * score, decision code (0 APPROVE, 1 REVIEW, 2 DECLINE) and the scorer's feature vector as served; `rate` is the
 * sample rate approvals were kept at (alerts are all kept), so a training row weighs 1 (an alert) or 1 / rate.
 */
export interface FeatureBatch {
  count: number;
  width: number;
  rate: number;
  modelVersion: string;
  eventTimeMs: Float64Array;
  txNum: Float64Array;
  /** Card references, (hi, lo) u32 pairs. */
  refs: Uint32Array;
  score: Float32Array;
  decision: Uint8Array;
  /** `count * width` floats, row-major. */
  features: Float32Array;
  /** Non-integer transaction ids by row. */
  ids: Map<number, string>;
}

/**
 * The served-feature log: the feature vector the scorer computed for every alert and for a deterministic sample of
 * the other transactions, one checksummed frame per engine batch (frame-file.ts), so training sees exactly what
 * serving saw. Each frame's tag is the decision log's record count after its batch: recovery cuts the frames past a
 * checkpoint's count ({@link FeatureLog.cutTo}), so after a restart each transaction is in the log once.
 */
export class FeatureLog {
  readonly path: string;
  private readonly file: FrameFile;

  private constructor(file: FrameFile) {
    this.file = file;
    this.path = file.path;
  }

  /** Opens (creates) the feature log of `dataDir`; a torn last frame is cut (see `recovery`). */
  static open(dataDir: string): FeatureLog {
    return new FeatureLog(FrameFile.open(featureLogPath(dataDir)));
  }

  /** What open cut from the end, if anything. */
  get recovery(): FrameRecovery | undefined {
    return this.file.recovery;
  }

  /** Queues one batch's rows; `logRecords` is the decision log's record count after the batch. */
  append(logRecords: number, b: FeatureBatch): void {
    if (b.count === 0) return;
    const n = b.count;
    const meta = Buffer.from(JSON.stringify({ modelVersion: b.modelVersion, ids: b.ids.size === 0 ? undefined : Object.fromEntries(b.ids) }), 'utf8');
    const fixed = HEAD + n * (8 + 8 + 8 + 4 + 4 * b.width) + pad4(n);
    this.file.appendWith(logRecords, fixed + meta.length, (p) => this.fill(p, b, fixed, meta));
  }

  private fill(p: Buffer, b: FeatureBatch, fixed: number, meta: Buffer): void {
    const n = b.count;
    p.writeUInt32LE(VERSION, 0);
    p.writeUInt32LE(n, 4);
    p.writeUInt32LE(b.width, 8);
    p.writeUInt32LE(meta.length, 12);
    p.writeDoubleLE(b.rate, 16);
    let o = HEAD;
    const put = (a: ArrayBufferView, bytes: number): void => {
      p.set(new Uint8Array(a.buffer, a.byteOffset, bytes), o);
      o += bytes;
    };
    put(b.eventTimeMs, 8 * n);
    put(b.txNum, 8 * n);
    put(b.refs, 8 * n);
    put(b.score, 4 * n);
    put(b.features, 4 * n * b.width);
    put(b.decision, n);
    meta.copy(p, fixed);
  }

  /** Cuts every batch logged after the decision log's record `logRecords` (recovery to a checkpoint). */
  cutTo(logRecords: number): { droppedBatches: number } {
    const r = this.file.cutAfterTag(logRecords);
    return { droppedBatches: r.droppedFrames };
  }

  /** Writes what is queued (no fsync). */
  flush(): void {
    this.file.flush();
  }

  /** Writes what is queued and makes it durable. */
  async sync(): Promise<void> {
    await this.file.sync();
  }

  /** Flushes and closes. */
  close(): void {
    this.file.close();
  }
}

/** Every batch in the feature log of `dataDir`, oldest first (nothing when there is none). */
export function* readFeatureBatches(dataDir: string): Generator<FeatureBatch> {
  for (const f of readFrames(featureLogPath(dataDir))) {
    // A copy, so every typed view below is aligned.
    const buf = new Uint8Array(f.payload).buffer;
    const p = Buffer.from(buf);
    const n = p.readUInt32LE(4);
    const width = p.readUInt32LE(8);
    const metaBytes = p.readUInt32LE(12);
    const rate = p.readDoubleLE(16);
    let o = HEAD;
    const take = <T>(make: (b: ArrayBuffer, at: number, len: number) => T, bytes: number, len: number): T => {
      const v = make(buf, o, len);
      o += bytes;
      return v;
    };
    const eventTimeMs = take((b, at, len) => new Float64Array(b, at, len), 8 * n, n);
    const txNum = take((b, at, len) => new Float64Array(b, at, len), 8 * n, n);
    const refs = take((b, at, len) => new Uint32Array(b, at, len), 8 * n, 2 * n);
    const score = take((b, at, len) => new Float32Array(b, at, len), 4 * n, n);
    const features = take((b, at, len) => new Float32Array(b, at, len), 4 * n * width, n * width);
    const decision = take((b, at, len) => new Uint8Array(b, at, len), n, n);
    const metaAt = o + pad4(n) - n;
    const meta = JSON.parse(p.toString('utf8', metaAt, metaAt + metaBytes)) as { modelVersion: string; ids?: Record<string, string> };
    const ids = new Map<number, string>();
    for (const [k, v] of Object.entries(meta.ids ?? {})) ids.set(Number(k), v);
    yield { count: n, width, rate, modelVersion: meta.modelVersion, eventTimeMs, txNum, refs, score, decision, features, ids };
  }
}

const pad4 = (n: number): number => (n + 3) & ~3;
