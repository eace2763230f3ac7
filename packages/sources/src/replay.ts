import {
  Limits,
  parseCsvHeader,
  parseCsvRow,
  type CsvHeader,
  type CsvRow,
  type ValidationError,
} from '@fraudstream/schema';
import { closeSync, openSync, readSync } from 'node:fs';
import { CsvHeaderError, nonEmptyString, numberInRange } from './errors.js';
import { writeAllLabels } from './label-queue.js';
import { LINE_TOO_LONG, LineReader } from './line-reader.js';
import { MAX_TPS, MIN_TPS } from './live-generator.js';
import { Halt, PacedSource, type LabelledSourceOptions, type SourceStats } from './paced-source.js';
import { headerFingerprint, type ReplayPosition, type ResumableSource, type SourceCheckpoint } from './source-position.js';

const CHUNK = 8192;
/** Parsed rows held ahead of the sink (bounded memory). */
const STAGE = 4096;

/** The error for a line too long to buffer, as `parseCsvRow` reports one it sees whole. */
export const LINE_TOO_LONG_ERROR: ValidationError = {
  code: 'too_long',
  field: '$',
  message: `a CSV line must be at most ${Limits.maxCsvLineLength} characters`,
};

/** Options of {@link CsvReplay}. */
export interface CsvReplayOptions extends LabelledSourceOptions {
  /** The CSV file (interchange format: the handbook's columns; extra columns allowed). */
  path: string;
  /** Rows per second of wall time (1 .. 5,000,000), or 'max' (default): as fast as the sink takes them. */
  tps?: number | 'max';
  /** Resume from a checkpoint of this file ({@link CsvReplay.checkpoint}): its byte offset and pending labels. */
  resume?: SourceCheckpoint;
}

/** Counters of a replay. */
export interface ReplayStats extends SourceStats {
  /** Rows rejected by validation (each also passed to `sink.reject`). */
  rejected: number;
  /** Lines read, header included. */
  linesRead: number;
}

/**
 * Replays a CSV file into a {@link RecordSink}, paced or as fast as possible, streaming with bounded memory.
 * Each row is validated with `parseCsvRow`: a bad row goes to `sink.reject(error)` (the error names the column) and
 * the replay goes on; a bad header (a required column missing) or an unreadable file fails the replay: `state` is
 * 'failed', `stats().error` holds the error and `onEnd(error)` is called. Rows are written in file order; labels
 * (from TX_FRAUD) follow `labelDelayDays` of event time later, and the remaining ones are written at the end.
 */
export class CsvReplay extends PacedSource implements ResumableSource {
  private readonly path: string;
  private readonly resume: ReplayPosition | undefined;
  /** Byte offset and line just past the last row written, and the transactions written before this run. */
  private posOffset = 0;
  private posLine = 0;
  private readonly baseTransactions: number;
  private headerFp = '';
  private readonly stagedEnd = new Float64Array(STAGE);
  private readonly stagedLine = new Float64Array(STAGE);
  private reader: LineReader | undefined;
  private header: CsvHeader | undefined;
  private readonly staged: (CsvRow | undefined)[] = new Array<CsvRow | undefined>(STAGE);
  private stagedHead = 0;
  private stagedCount = 0;
  private eof = false;
  private rejected = 0;

  constructor(options: CsvReplayOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const tps = options.tps === undefined || options.tps === 'max' ? Infinity : checkTps(options.tps, 'options.tps');
    super(tps, options);
    this.path = nonEmptyString(options.path, 'options.path');
    const resume = options.resume;
    if (resume !== undefined) {
      if (resume.position.kind !== 'replay') throw new TypeError(`options.resume is a ${resume.position.kind} position, not a replay's`);
      this.resume = resume.position;
      this.posOffset = resume.position.offset;
      this.posLine = resume.position.line;
      this.headerFp = resume.position.header;
      this.queue.loadBytes(resume.labels, 'options.resume.labels');
    }
    this.baseTransactions = this.resume?.transactions ?? 0;
  }

  /**
   * The position covering exactly the rows written so far (byte offset and line past the last one) and the labels
   * still waiting; `seqBase` (the ring sequence number of the barrier) is subtracted from the labels' sequence
   * numbers. Call between writes.
   */
  checkpoint(seqBase: number): SourceCheckpoint {
    return {
      position: { kind: 'replay', offset: this.posOffset, line: this.posLine, transactions: this.baseTransactions + this.generated, header: this.headerFp },
      labels: this.queue.toBytes(seqBase),
    };
  }

  /** Changes the rate (1 .. 5,000,000 rows per second, or 'max'), effective at once. */
  setTps(tps: number | 'max'): void {
    this.changeRate(tps === 'max' ? Infinity : checkTps(tps, 'tps'));
  }

  /** Current counters. */
  stats(): ReplayStats {
    return { ...this.sourceStats(), rejected: this.rejected, linesRead: this.reader?.lineNumber ?? 0 };
  }

  /** Stops the replay for good and closes the file (stop() only pauses; start() resumes). */
  close(): void {
    this.stop();
    this.reader?.close();
    if (this.state === 'stopped' || this.state === 'idle') this.state = 'ended';
  }

  override start(): void {
    if (this.reader === undefined && this.state === 'idle') {
      const resume = this.resume;
      if (resume !== undefined && resume.offset > 0) {
        // Resuming mid-file: the header is the file's first line, read on its own; rows continue at the offset.
        try {
          this.header = this.readHeaderAt0();
        } catch (err) {
          this.failure = err instanceof Error ? err : new Error(String(err));
          this.state = 'failed';
          this.finished();
          return;
        }
        this.reader = new LineReader(this.path, Limits.maxCsvLineLength, resume.offset);
        this.reader.lineNumber = resume.line;
      } else {
        this.reader = new LineReader(this.path, Limits.maxCsvLineLength);
      }
      this.reader.onReadable = () => this.wake();
    }
    super.start();
  }

  protected override finished(): void {
    this.reader?.close();
    super.finished();
  }

  /** The header of a file being resumed, checked against the checkpoint's fingerprint. */
  private readHeaderAt0(): CsvHeader {
    const fd = openSync(this.path, 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(Limits.maxCsvLineLength + 2);
      const n = readSync(fd, buf, 0, buf.length, 0);
      text = buf.toString('utf8', 0, n);
    } finally {
      closeSync(fd);
    }
    const nl = text.indexOf('\n');
    const line = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
    this.checkHeader(line);
    const h = parseCsvHeader(line);
    if (!h.ok) throw new CsvHeaderError(this.path, h.error);
    return h.value;
  }

  private checkHeader(line: string): void {
    const fp = headerFingerprint(line);
    if (this.resume !== undefined && this.resume.header !== '' && this.resume.header !== fp) {
      throw new Error(`${this.path} is not the file of the checkpoint: its header line differs`);
    }
    this.headerFp = fp;
  }

  private fail(error: Error): number {
    this.failure = error;
    this.halt = Halt.Failed;
    return 0;
  }

  private rejectRow(error: ValidationError): void {
    this.rejected++;
    this.sink.reject(error);
  }

  /** Parses lines until `want` rows are staged, the input runs dry (null) or ends. */
  private stage(want: number): void {
    const reader = this.reader!;
    const header = this.header!;
    while (this.stagedCount < want) {
      const line = reader.next();
      if (line === null) return;
      if (line === undefined) {
        this.eof = true;
        return;
      }
      if (line === LINE_TOO_LONG) {
        this.rejectRow(LINE_TOO_LONG_ERROR);
        continue;
      }
      const r = parseCsvRow(line, header);
      if (!r.ok) {
        this.rejectRow(r.error);
        continue;
      }
      let at = this.stagedHead + this.stagedCount;
      if (at >= STAGE) at -= STAGE;
      this.staged[at] = r.value;
      this.stagedEnd[at] = reader.byteOffset;
      this.stagedLine[at] = reader.lineNumber;
      this.stagedCount++;
    }
  }

  protected override emit(budget: number): number {
    const reader = this.reader!;
    if (this.header === undefined) {
      const line = reader.next();
      if (line === null) {
        this.halt = Halt.Starved;
        return 0;
      }
      if (line === undefined && reader.error !== undefined) return this.fail(reader.error);
      const text = typeof line === 'string' ? line : '';
      try {
        this.checkHeader(text);
      } catch (err) {
        return this.fail(err as Error);
      }
      const h = parseCsvHeader(text);
      if (!h.ok) return this.fail(new CsvHeaderError(this.path, h.error));
      this.header = h.value;
      this.posOffset = reader.byteOffset;
      this.posLine = reader.lineNumber;
    }
    const sink = this.sink;
    const views = sink.views;
    const queue = this.queue;
    const delayMs = this.delayMs;
    let written = 0;
    while (written < budget) {
      this.stage(Math.min(budget - written, STAGE));
      if (this.stagedCount === 0) {
        if (!this.eof) this.halt = Halt.Starved;
        else if (reader.error !== undefined) this.fail(reader.error);
        else this.flushLabels();
        return written;
      }
      const k = sink.claim(Math.min(this.stagedCount, CHUNK));
      if (k === 0) {
        this.halt = Halt.SinkFull;
        return written;
      }
      const slot0 = sink.claimedSlot;
      const seq0 = sink.claimedSeq;
      const ingestMs = performance.timeOrigin + performance.now();
      let tx = 0;
      for (let s = 0; s < k; s++) {
        const slot = slot0 + s;
        const row = this.staged[this.stagedHead]!;
        const ts = row.tx.timestampMs;
        if (queue.size > 0 && (queue.headTs() + delayMs <= ts || queue.full)) {
          queue.writeHead(views, slot, ingestMs);
          this.labelsEmitted++;
          continue;
        }
        views.writeTransaction(slot, row.tx, ingestMs);
        sink.dueMs[slot] = this.dueAt(written + tx);
        if (Number.isNaN(views.txNum(slot))) sink.setId(slot, row.tx.id);
        if (this.labels && row.fraud !== undefined) {
          queue.push(
            seq0 + s,
            ts,
            views.cardKeyLo(slot),
            views.cardKeyHi(slot),
            views.termKeyLo(slot),
            views.termKeyHi(slot),
            row.fraud ? 1 : 0,
          );
        }
        this.simulatedTimeMs = ts;
        this.posOffset = this.stagedEnd[this.stagedHead]!;
        this.posLine = this.stagedLine[this.stagedHead]!;
        this.staged[this.stagedHead] = undefined;
        this.stagedHead = this.stagedHead + 1 === STAGE ? 0 : this.stagedHead + 1;
        this.stagedCount--;
        tx++;
      }
      sink.publish(k);
      this.generated += tx;
      written += tx;
    }
    return written;
  }

  /** At the end of the input: writes every pending label, then ends. */
  private flushLabels(): void {
    this.labelsEmitted += writeAllLabels(this.queue, this.sink);
    this.halt = this.queue.size > 0 ? Halt.SinkFull : Halt.Ended;
  }

}

function checkTps(tps: unknown, name: string): number {
  return numberInRange(tps, name, MIN_TPS, MAX_TPS);
}
