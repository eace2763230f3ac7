import { join } from 'node:path';
import { StoreInputError } from './errors.js';
import { FrameFile, readFrames, type FrameRecovery } from './frame-file.js';

/** The label log's file in a data dir. */
export const LABEL_LOG_FILE = 'labels/labels.flog';
/** Where a label came from. */
export const LABEL_SOURCES = ['api', 'kafka', 'generator', 'replay', 'analyst'] as const;
/** Where a label came from: the HTTP API, the Kafka labels topic, a source's delayed labels, an analyst's verdict. */
export type LabelSource = (typeof LABEL_SOURCES)[number];

/**
 * One label received. A label names its transaction by `transactionId` when the sender knew it (an analyst's
 * verdict, an API label by id), and by event time and card reference always when known (the engine's label records
 * carry the transaction's event time and card key, not its id): training joins on the id first, else on both.
 */
export interface LabelEntry {
  transactionId?: string;
  /** The labelled transaction's event time, epoch ms (NaN when unknown). */
  eventTimeMs: number;
  /** The labelled transaction's card reference (16 hex digits, as in the decision log), when known. */
  cardRef?: string;
  fraud: boolean;
  source: LabelSource;
  /** When the label was received, epoch ms. */
  receivedAtMs: number;
}

const VERSION = 1;
const HAS_ID = 1;
const HAS_REF = 2;
const FRAUD = 4;
const ROW = 17; // eventTime f64, refHi u32, refLo u32, flags u8
/** Frame kinds: rows one after the other (each may carry an id), or three columns (no ids; the engine's labels). */
const KIND_ROWS = 0;
const KIND_COLUMNS = 1;
/** Head of a frame: version, source, kind, received time, count; columns start 8-byte aligned after it. */
const HEAD = 16;
const COLUMNS = 16;
const MAX_ID = 256;

/** The label log's path in `dataDir`. */
export const labelLogPath = (dataDir: string): string => join(dataDir, LABEL_LOG_FILE);

/**
 * The durable log of every label received (append-only checksummed frames, see frame-file.ts), kept so training can
 * join the served features with the labels (`fraudstream train --from-log`). Never cut at recovery: a label a
 * source sends again after a restart is logged again, and readers keep the latest per transaction.
 *
 * ```ts
 * const labels = LabelLog.open(dataDir);
 * labels.append({ transactionId: 'tx-42', eventTimeMs, cardRef, fraud: true, source: 'analyst', receivedAtMs: Date.now() });
 * await labels.sync();     // durable (append alone is written within the next flush)
 * labels.close();
 * ```
 */
export class LabelLog {
  readonly path: string;
  private readonly file: FrameFile;

  private constructor(file: FrameFile) {
    this.file = file;
    this.path = file.path;
  }

  /** Opens (creates) the label log of `dataDir`; a torn last frame is cut (see `recovery`). */
  static open(dataDir: string): LabelLog {
    return new LabelLog(FrameFile.open(labelLogPath(dataDir)));
  }

  /** What open cut from the end, if anything. */
  get recovery(): FrameRecovery | undefined {
    return this.file.recovery;
  }

  /** Appends one label (validated; written at the next flush or sync). */
  append(label: LabelEntry): void {
    checkLabel(label, 'label');
    const id = label.transactionId === undefined ? undefined : Buffer.from(label.transactionId, 'utf8');
    const ref = new Uint32Array(2);
    if (label.cardRef !== undefined) {
      ref[0] = Number.parseInt(label.cardRef.slice(0, 8), 16);
      ref[1] = Number.parseInt(label.cardRef.slice(8), 16);
    }
    const flags = (id === undefined ? 0 : HAS_ID) | (label.cardRef === undefined ? 0 : HAS_REF) | (label.fraud ? FRAUD : 0);
    const p = Buffer.alloc(HEAD + ROW + (id === undefined ? 0 : 2 + id.length));
    writeHead(p, label.source, label.receivedAtMs, 1, KIND_ROWS);
    p.writeDoubleLE(label.eventTimeMs, HEAD);
    p.writeUInt32LE(ref[0]!, HEAD + 8);
    p.writeUInt32LE(ref[1]!, HEAD + 12);
    p.writeUInt8(flags, HEAD + 16);
    if (id !== undefined) {
      p.writeUInt16LE(id.length, HEAD + ROW);
      id.copy(p, HEAD + ROW + 2);
    }
    this.file.append(0, p);
  }

  /**
   * Appends `count` labels without ids from one source at once (the engine's label records of a batch): event
   * times, card references as (hi, lo) u32 pairs, fraud flags 0/1.
   */
  appendMany(source: LabelSource, receivedAtMs: number, count: number, eventTimeMs: Float64Array, refs: Uint32Array, fraud: Uint8Array): void {
    if (count === 0) return;
    // Columns copied whole (a frame per engine batch): event times, then the references, then the flags.
    this.file.appendWith(0, COLUMNS + count * ROW, (p) => {
      writeHead(p, source, receivedAtMs, count, KIND_COLUMNS);
      p.set(new Uint8Array(eventTimeMs.buffer, eventTimeMs.byteOffset, 8 * count), COLUMNS);
      p.set(new Uint8Array(refs.buffer, refs.byteOffset, 8 * count), COLUMNS + 8 * count);
      const flags = COLUMNS + 16 * count;
      for (let i = 0; i < count; i++) p[flags + i] = HAS_REF | (fraud[i] === 1 ? FRAUD : 0);
    });
  }

  /** Writes what is queued (no fsync). */
  flush(): void {
    this.file.flush();
  }

  /** Writes what is queued and makes it durable. */
  async sync(): Promise<void> {
    await this.file.sync();
  }

  /** Flushes, syncs and closes. */
  close(): void {
    this.file.flush();
    this.file.close();
  }
}

/**
 * Opens the label log of `dataDir`, appends `label` durably and closes it: one call for a writer outside the
 * engine (the case review's analyst verdicts). Several writers in one process may append to the same log.
 */
export async function appendLabel(dataDir: string, label: LabelEntry): Promise<void> {
  const log = LabelLog.open(dataDir);
  try {
    log.append(label);
    await log.sync();
  } finally {
    log.close();
  }
}

/** Every label in the log of `dataDir`, oldest first (nothing when there is no log). */
export function* readLabels(dataDir: string): Generator<LabelEntry> {
  for (const f of readFrames(labelLogPath(dataDir))) {
    const p = f.payload;
    const source = LABEL_SOURCES[p.readUInt8(1)] ?? 'api';
    const kind = p.readUInt8(2);
    const receivedAtMs = p.readDoubleLE(4);
    const count = p.readUInt32LE(12);
    if (kind === KIND_COLUMNS) {
      for (let i = 0; i < count; i++) {
        const flags = p.readUInt8(COLUMNS + 16 * count + i);
        yield {
          eventTimeMs: p.readDoubleLE(COLUMNS + 8 * i),
          cardRef: hex8(p.readUInt32LE(COLUMNS + 8 * count + 8 * i)) + hex8(p.readUInt32LE(COLUMNS + 8 * count + 8 * i + 4)),
          fraud: (flags & FRAUD) !== 0,
          source,
          receivedAtMs,
        };
      }
      continue;
    }
    let o = HEAD;
    for (let i = 0; i < count; i++) {
      const eventTimeMs = p.readDoubleLE(o);
      const hi = p.readUInt32LE(o + 8);
      const lo = p.readUInt32LE(o + 12);
      const flags = p.readUInt8(o + 16);
      o += ROW;
      let transactionId: string | undefined;
      if ((flags & HAS_ID) !== 0) {
        const n = p.readUInt16LE(o);
        transactionId = p.toString('utf8', o + 2, o + 2 + n);
        o += 2 + n;
      }
      yield {
        ...(transactionId === undefined ? {} : { transactionId }),
        eventTimeMs,
        ...((flags & HAS_REF) === 0 ? {} : { cardRef: hex8(hi) + hex8(lo) }),
        fraud: (flags & FRAUD) !== 0,
        source,
        receivedAtMs,
      };
    }
  }
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

function writeHead(p: Buffer, source: LabelSource, receivedAtMs: number, count: number, kind: number): void {
  p.writeUInt8(VERSION, 0);
  p.writeUInt8(LABEL_SOURCES.indexOf(source), 1);
  p.writeUInt8(kind, 2);
  p.writeDoubleLE(receivedAtMs, 4);
  p.writeUInt32LE(count, 12);
}

function checkLabel(l: LabelEntry, name: string): void {
  if (typeof l !== 'object' || l === null) throw new StoreInputError(name, `${name} must be an object`);
  if (l.transactionId !== undefined && (typeof l.transactionId !== 'string' || l.transactionId.length === 0 || Buffer.byteLength(l.transactionId) > MAX_ID)) {
    throw new StoreInputError(`${name}.transactionId`, `${name}.transactionId must be a string of 1 to ${MAX_ID} bytes`);
  }
  if (typeof l.eventTimeMs !== 'number') throw new StoreInputError(`${name}.eventTimeMs`, `${name}.eventTimeMs must be a number (NaN when unknown)`);
  if (l.cardRef !== undefined && !/^[0-9a-f]{16}$/.test(l.cardRef)) throw new StoreInputError(`${name}.cardRef`, `${name}.cardRef must be 16 lowercase hex digits`);
  if (typeof l.fraud !== 'boolean') throw new StoreInputError(`${name}.fraud`, `${name}.fraud must be a boolean`);
  if (!LABEL_SOURCES.includes(l.source)) throw new StoreInputError(`${name}.source`, `${name}.source must be one of ${LABEL_SOURCES.join(', ')}`);
  if (typeof l.receivedAtMs !== 'number' || !Number.isFinite(l.receivedAtMs)) throw new StoreInputError(`${name}.receivedAtMs`, `${name}.receivedAtMs must be a finite number`);
  if (l.transactionId === undefined && l.cardRef === undefined) {
    throw new StoreInputError(`${name}.transactionId`, `${name} needs a transactionId or a cardRef with eventTimeMs to name its transaction`);
  }
}
