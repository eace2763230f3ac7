import { crc32 } from 'node:zlib';

/**
 * The decision log's block: the unit of writing, checksumming and reading. A block holds up to `blockRecords`
 * decisions in columns, so a query filters on time, decision and card without decoding strings:
 *
 * ```
 *  header, 64 bytes, little-endian
 *  0      4       6        8         12      16            24      32      40      44       46      56       60       64
 *  +------+-------+--------+---------+-------+-------------+-------+-------+-------+--------+-------+--------+--------+
 *  |magic |version|hdr size|body len |count  |first record |min ts |max ts |alerts |dict n  |  -    |body crc|hdr crc |
 *  |u32   |u16    |u16     |u32      |u32    |f64          |f64    |f64    |u32    |u16     |       |u32     |u32     |
 *  +------+-------+--------+---------+-------+-------------+-------+-------+-------+--------+-------+--------+--------+
 *
 *  body (n = count), offsets from the body's start, which is 8-byte aligned
 *  0      8n       16n           24n        28n        29n      30n, padded to 8
 *  +------+--------+-------------+----------+----------+--------+-------------------------+-------------------------------+
 *  | ts   | tx num | card ref    | score    | decision | model  | dictionary: d x (u8 len,| rows: n x (u8 len, tx id      |
 *  | f64  | f64    | u32 x 2     | f32      | u8       | u8 idx |   utf-8 bytes)          |   utf-8, u8 k, k x u8 reason) |
 *  +------+--------+-------------+----------+----------+--------+-------------------------+-------------------------------+
 * ```
 * - `tx num` is the transaction id when it is a canonical integer below 2^53 (the engine's records carry it so, and
 *   no string is made or stored); the row's id length is then 0. Other ids are in the row as UTF-8 and `tx num` is NaN.
 * - `magic` is "FSDL"; `first record` is the log-wide index of the block's first decision (blocks chain by it).
 * - `alerts` counts REVIEW and DECLINE rows, so a query for alerts skips blocks without any.
 * - `card ref` is the 64-bit keyed card reference, high word first; `model` and the reason indices point into the
 *   block's own dictionary of strings (reason names and model versions), so a block decodes on its own.
 * - `body crc` is CRC-32 of the body, `hdr crc` CRC-32 of header bytes 0..59: a torn or corrupt write is detected
 *   on open (the tail) or on read (anywhere else), never decoded.
 */
export const HEADER_SIZE = 64;
/** "FSDL" read as a little-endian u32. */
export const BLOCK_MAGIC = 0x4c445346;
/** Format version written in every block header. */
export const BLOCK_VERSION = 1;
/** Most strings one block's dictionary holds. */
export const MAX_DICT = 255;
/** Most reasons kept per decision. */
export const MAX_REASONS = 16;
/** Longest transaction id, reason name or model version, in UTF-16 code units (so at most 192 UTF-8 bytes). */
export const MAX_STRING = 64;

/** Header field offsets. */
export const H = {
  magic: 0,
  version: 4,
  headerSize: 6,
  bodyLength: 8,
  count: 12,
  firstRecord: 16,
  minTs: 24,
  maxTs: 32,
  alerts: 40,
  dictCount: 44,
  bodyCrc: 56,
  headerCrc: 60,
} as const;

const align8 = (n: number): number => (n + 7) & ~7;

/** Decision codes as stored: 0 APPROVE, 1 REVIEW, 2 DECLINE. */
export const DECISION_CODES = ['APPROVE', 'REVIEW', 'DECLINE'] as const;

/** Decision columns to copy runs from ({@link BlockBuilder.addRun}): the engine's staged columns have this shape. */
export interface ColumnRun {
  ts: Float64Array;
  txNum: Float64Array;
  /** Card references, two words (high first) per decision. */
  card: Uint32Array;
  score: Float32Array;
}

/** Accumulates decisions into one block's columns; {@link seal} lays them out as the bytes to write. */
export class BlockBuilder {
  count = 0;
  private readonly ts: Float64Array;
  private readonly txNum: Float64Array;
  private readonly card: Uint32Array;
  private readonly score: Float32Array;
  private readonly decision: Uint8Array;
  private readonly model: Uint8Array;
  private readonly rows: Buffer;
  private rowsLen = 0;
  private readonly dict = new Map<string, number>();
  private dictList: string[] = [];
  private dictBytes = 0;
  private minTs = Infinity;
  private maxTs = -Infinity;
  private alerts = 0;
  private lastModel = '';
  private lastModelIdx = -1;

  constructor(readonly capacity: number) {
    this.ts = new Float64Array(capacity);
    this.txNum = new Float64Array(capacity);
    this.card = new Uint32Array(capacity * 2);
    this.score = new Float32Array(capacity);
    this.decision = new Uint8Array(capacity);
    this.model = new Uint8Array(capacity);
    // Worst row: u8 + 192 bytes of id + u8 + 16 reason indices.
    this.rows = Buffer.allocUnsafe(capacity * (2 + 3 * MAX_STRING + MAX_REASONS));
  }

  /**
   * Adds one validated decision; false when the block is full (the caller seals it and adds again).
   * `txId` is a string, or a canonical integer id as a number; strings must already be checked against
   * {@link MAX_STRING} and reasons against {@link MAX_REASONS}.
   */
  add(
    txId: string | number,
    eventTimeMs: number,
    score: number,
    decision: number,
    reasons: readonly string[],
    modelVersion: string,
    refHi: number,
    refLo: number,
  ): boolean {
    if (this.count === this.capacity) return false;
    let fresh = modelVersion === this.lastModel || this.dict.has(modelVersion) ? 0 : 1;
    for (let r = 0; r < reasons.length; r++) if (!this.dict.has(reasons[r] as string)) fresh++;
    if (this.dictList.length + fresh > MAX_DICT) return false;
    const i = this.count++;
    this.ts[i] = eventTimeMs;
    this.card[2 * i] = refHi;
    this.card[2 * i + 1] = refLo;
    this.score[i] = score;
    this.decision[i] = decision;
    // The model version rarely changes: compare with the last one before hashing it.
    if (modelVersion !== this.lastModel || this.lastModelIdx < 0) {
      this.lastModel = modelVersion;
      this.lastModelIdx = this.intern(modelVersion);
    }
    this.model[i] = this.lastModelIdx;
    if (eventTimeMs < this.minTs) this.minTs = eventTimeMs;
    if (eventTimeMs > this.maxTs) this.maxTs = eventTimeMs;
    if (decision !== 0) this.alerts++;
    if (typeof txId === 'number') {
      this.txNum[i] = txId;
      this.rows[this.rowsLen++] = 0;
    } else {
      this.txNum[i] = Number.NaN;
      this.rowsLen = writeShortString(this.rows, this.rowsLen, txId);
    }
    this.rows[this.rowsLen++] = reasons.length;
    for (let r = 0; r < reasons.length; r++) this.rows[this.rowsLen++] = this.intern(reasons[r] as string);
    return true;
  }

  /**
   * Copies up to `n` APPROVE decisions with integer ids and no reasons from columns (`src`, indices `from ..`) in bulk:
   * the columns by `TypedArray.set`, two zero bytes of row each. Returns how many fit (0 when the block is full or its
   * dictionary has no room for `modelVersion`). The values must already be valid (see {@link add}).
   */
  addRun(src: ColumnRun, from: number, n: number, modelVersion: string): number {
    const m = Math.min(n, this.capacity - this.count);
    if (m <= 0) return 0;
    if (modelVersion !== this.lastModel || this.lastModelIdx < 0) {
      if (!this.dict.has(modelVersion) && this.dictList.length >= MAX_DICT) return 0;
      this.lastModel = modelVersion;
      this.lastModelIdx = this.intern(modelVersion);
    }
    const i = this.count;
    const ts = src.ts.subarray(from, from + m);
    this.ts.set(ts, i);
    this.txNum.set(src.txNum.subarray(from, from + m), i);
    this.card.set(src.card.subarray(2 * from, 2 * (from + m)), 2 * i);
    this.score.set(src.score.subarray(from, from + m), i);
    this.decision.fill(0, i, i + m);
    this.model.fill(this.lastModelIdx, i, i + m);
    let lo = this.minTs;
    let hi = this.maxTs;
    for (let k = 0; k < m; k++) {
      const t = ts[k] as number;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    this.minTs = lo;
    this.maxTs = hi;
    this.rows.fill(0, this.rowsLen, this.rowsLen + 2 * m);
    this.rowsLen += 2 * m;
    this.count += m;
    return m;
  }

  private intern(s: string): number {
    let idx = this.dict.get(s);
    if (idx === undefined) {
      idx = this.dictList.length;
      this.dict.set(s, idx);
      this.dictList.push(s);
      this.dictBytes += 1 + Buffer.byteLength(s, 'utf8');
    }
    return idx;
  }

  /** Lays out the block (header and body) as it goes to disk, then empties the builder. */
  seal(firstRecord: number): Buffer {
    const n = this.count;
    const dictStart = align8(30 * n);
    const bodyLength = dictStart + this.dictBytes + this.rowsLen;
    const buf = Buffer.alloc(HEADER_SIZE + bodyLength);
    const b = HEADER_SIZE;
    Buffer.from(this.ts.buffer, 0, 8 * n).copy(buf, b);
    // Typed arrays are host-endian; the log is written and read on little-endian hosts (x64, arm64) only.
    Buffer.from(this.txNum.buffer, 0, 8 * n).copy(buf, b + 8 * n);
    Buffer.from(this.card.buffer, 0, 8 * n).copy(buf, b + 16 * n);
    Buffer.from(this.score.buffer, 0, 4 * n).copy(buf, b + 24 * n);
    Buffer.from(this.decision.buffer, 0, n).copy(buf, b + 28 * n);
    Buffer.from(this.model.buffer, 0, n).copy(buf, b + 29 * n);
    let p = b + dictStart;
    for (const s of this.dictList) p = writeShortString(buf, p, s);
    this.rows.copy(buf, p, 0, this.rowsLen);
    buf.writeUInt32LE(BLOCK_MAGIC, H.magic);
    buf.writeUInt16LE(BLOCK_VERSION, H.version);
    buf.writeUInt16LE(HEADER_SIZE, H.headerSize);
    buf.writeUInt32LE(bodyLength, H.bodyLength);
    buf.writeUInt32LE(n, H.count);
    buf.writeDoubleLE(firstRecord, H.firstRecord);
    buf.writeDoubleLE(this.minTs, H.minTs);
    buf.writeDoubleLE(this.maxTs, H.maxTs);
    buf.writeUInt32LE(this.alerts, H.alerts);
    buf.writeUInt16LE(this.dictList.length, H.dictCount);
    buf.writeUInt32LE(crc32(buf.subarray(HEADER_SIZE)), H.bodyCrc);
    buf.writeUInt32LE(crc32(buf.subarray(0, H.headerCrc)), H.headerCrc);
    this.reset();
    return buf;
  }

  /** Drops every decision added since the last seal. */
  reset(): void {
    this.count = 0;
    this.rowsLen = 0;
    this.dict.clear();
    this.dictList = [];
    this.dictBytes = 0;
    this.lastModel = '';
    this.lastModelIdx = -1;
    this.minTs = Infinity;
    this.maxTs = -Infinity;
    this.alerts = 0;
  }
}

/** Writes a u8 length and the UTF-8 bytes of a short string at `p`; returns the offset after it. */
function writeShortString(buf: Buffer, p: number, s: string): number {
  // Most ids are ASCII: copy code units directly, fall back to the UTF-8 encoder on the first non-ASCII one.
  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) break;
    buf[p + 1 + i] = c;
  }
  if (i === n) {
    buf[p] = n;
    return p + 1 + n;
  }
  const len = buf.write(s, p + 1, 'utf8');
  buf[p] = len;
  return p + 1 + len;
}

/** A block header as read from disk. */
export interface BlockHeader {
  bodyLength: number;
  count: number;
  firstRecord: number;
  minTs: number;
  maxTs: number;
  alerts: number;
  dictCount: number;
  bodyCrc: number;
}

/** Parses and checks a 64-byte header; returns a reason string when it is not a valid header. */
export function parseHeader(buf: Buffer): BlockHeader | string {
  if (buf.length < HEADER_SIZE) return `truncated header (${buf.length} of ${HEADER_SIZE} bytes)`;
  if (buf.readUInt32LE(H.magic) !== BLOCK_MAGIC) return 'bad block magic';
  if (buf.readUInt32LE(H.headerCrc) !== crc32(buf.subarray(0, H.headerCrc))) return 'header checksum mismatch';
  const version = buf.readUInt16LE(H.version);
  if (version !== BLOCK_VERSION) return `unsupported block version ${version}`;
  if (buf.readUInt16LE(H.headerSize) !== HEADER_SIZE) return 'bad header size';
  const count = buf.readUInt32LE(H.count);
  const bodyLength = buf.readUInt32LE(H.bodyLength);
  if (count === 0 || bodyLength < 30 * count) return 'inconsistent block length';
  return {
    bodyLength,
    count,
    firstRecord: buf.readDoubleLE(H.firstRecord),
    minTs: buf.readDoubleLE(H.minTs),
    maxTs: buf.readDoubleLE(H.maxTs),
    alerts: buf.readUInt32LE(H.alerts),
    dictCount: buf.readUInt16LE(H.dictCount),
    bodyCrc: buf.readUInt32LE(H.bodyCrc),
  };
}

/** True when the body's checksum matches its header. */
export function bodyIntact(header: BlockHeader, body: Buffer): boolean {
  return body.length === header.bodyLength && crc32(body) === header.bodyCrc;
}

/** A block's body viewed in place: typed columns over the bytes, strings decoded on demand. */
export class DecodedBlock {
  readonly ts: Float64Array;
  readonly txNum: Float64Array;
  readonly card: Uint32Array;
  readonly score: Float32Array;
  readonly decision: Uint8Array;
  readonly model: Uint8Array;
  readonly dict: string[] = [];
  private rowOffsets: Uint32Array | undefined;
  private readonly rowsStart: number;

  /** `body` must start 8-byte aligned in its ArrayBuffer (the reader allocates it so). */
  constructor(
    readonly header: BlockHeader,
    private readonly body: Buffer,
  ) {
    const n = header.count;
    const base = body.byteOffset;
    this.ts = new Float64Array(body.buffer, base, n);
    this.txNum = new Float64Array(body.buffer, base + 8 * n, n);
    this.card = new Uint32Array(body.buffer, base + 16 * n, 2 * n);
    this.score = new Float32Array(body.buffer, base + 24 * n, n);
    this.decision = new Uint8Array(body.buffer, base + 28 * n, n);
    this.model = new Uint8Array(body.buffer, base + 29 * n, n);
    let p = align8(30 * n);
    for (let d = 0; d < header.dictCount; d++) {
      const len = body[p] ?? 0;
      this.dict.push(body.toString('utf8', p + 1, p + 1 + len));
      p += 1 + len;
    }
    this.rowsStart = p;
  }

  private offsets(): Uint32Array {
    if (this.rowOffsets !== undefined) return this.rowOffsets;
    const out = new Uint32Array(this.header.count);
    let p = this.rowsStart;
    for (let i = 0; i < out.length; i++) {
      out[i] = p;
      p += 1 + (this.body[p] ?? 0);
      p += 1 + (this.body[p] ?? 0);
    }
    this.rowOffsets = out;
    return out;
  }

  /** The transaction id of row `i`. */
  transactionId(i: number): string {
    const p = this.offsets()[i] ?? 0;
    const len = this.body[p] ?? 0;
    return len === 0 ? String(this.txNum[i]) : this.body.toString('utf8', p + 1, p + 1 + len);
  }

  /** The reason names of row `i`. */
  reasons(i: number): string[] {
    let p = this.offsets()[i] ?? 0;
    p += 1 + (this.body[p] ?? 0);
    const k = this.body[p] ?? 0;
    const out: string[] = [];
    for (let r = 1; r <= k; r++) out.push(this.dict[this.body[p + r] ?? 0] ?? '');
    return out;
  }
}
