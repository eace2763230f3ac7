import { CHANNEL_NAMES, Limits, parseCsvHeader, parseCsvRow, RejectionLog, unpackCountry, type CsvHeader } from '@fraudstream/schema';
import { LINE_TOO_LONG, LineReader, Simulator, type DayBatch, type SimulatorOptions } from '@fraudstream/sources';
import { KafkaOptionsRangeError } from './errors.js';
import { LabelFifo } from './label-fifo.js';
import { labelJson, transactionJson, type JsonMessage } from './transaction-json.js';

const MS_PER_DAY = 86_400_000;
/** Default bound on labels waiting for their delay. */
export const DEFAULT_MAX_PENDING_LABELS = 4 * 1024 * 1024;

/** A source of JSON transaction messages (key = card id) and, after their delay, their labels (key = the card id, like the transaction). */
export interface TransactionFeed {
  /**
   * Appends up to `max` transactions to `out` and every label whose delay has passed (in event time) to `labels`;
   * resolves with the number of transactions appended, 0 once the input has ended.
   */
  next(max: number, out: JsonMessage[], labels: JsonMessage[]): Promise<number>;
  /** Appends every label still waiting (the input has ended, so no later transaction will pass them). */
  flushLabels(labels: JsonMessage[]): void;
  /** Input rows rejected by validation (a replay's bad rows), by field. */
  readonly rejected: RejectionLog;
  /** Releases the input (closes a replayed file). */
  close(): void;
}

/** Options every feed shares. */
export interface FeedLabelOptions {
  /** Produce labels (default true). */
  labels?: boolean;
  /** Label delay in event time, days (default 7, the Fraud Detection Handbook's delay). */
  labelDelayDays?: number;
  /** Bound on labels waiting (default 4M); beyond it the oldest is sent early. */
  maxPendingLabels?: number;
}

/** Shared label scheduling of the feeds. */
abstract class LabelScheduler {
  readonly rejected = new RejectionLog();
  protected readonly fifo: LabelFifo;
  protected readonly labels: boolean;
  protected readonly delayMs: number;

  protected constructor(options: FeedLabelOptions) {
    this.labels = options.labels ?? true;
    const days = options.labelDelayDays ?? 7;
    if (typeof days !== 'number' || !(days >= 0) || !Number.isFinite(days)) {
      throw new KafkaOptionsRangeError('labelDelayDays must be a non-negative number');
    }
    this.delayMs = days * MS_PER_DAY;
    this.fifo = new LabelFifo(options.maxPendingLabels ?? DEFAULT_MAX_PENDING_LABELS);
  }

  /** Queues the label of a transaction at `tsMs`, after sending those due by then (or the oldest when full). */
  /**
   * Queues the label of a transaction at `tsMs` (key = its card id, so the label lands in the partition number of
   * its transaction when both topics have the same partition count), after sending those due by then (or the
   * oldest when full).
   */
  protected schedule(id: string, tsMs: number, fraud: boolean, labels: JsonMessage[], cardId: string): void {
    const fifo = this.fifo;
    const emit = (lid: string, f: boolean, key: string): void => {
      labels.push({ key, value: labelJson(lid, f) });
    };
    while (fifo.size > 0 && (fifo.headTs() + this.delayMs <= tsMs || fifo.full)) fifo.pop(emit);
    if (this.labels) fifo.push(id, tsMs, fraud, cardId);
  }

  flushLabels(labels: JsonMessage[]): void {
    while (this.fifo.size > 0) this.fifo.pop((id, f, key) => labels.push({ key, value: labelJson(id, f) }));
  }
}

/**
 * The transaction simulator (the same one as the live generator and `generate`) as JSON messages: card id =
 * customer index, terminal id = terminal index, ids = TRANSACTION_ID, so a message decodes to the record the live
 * generator writes for the same transaction. Runs forever unless `days` is given.
 */
export class SimulatedFeed extends LabelScheduler implements TransactionFeed {
  readonly simulator: Simulator;
  private batch: DayBatch | undefined;
  private index = 0;
  private readonly suffix: string[];

  constructor(options: SimulatorOptions & FeedLabelOptions = {}) {
    super(options);
    this.simulator = new Simulator(options, Infinity);
    const pop = this.simulator.population;
    const extended = this.simulator.options.scenarios === 'all';
    // Per terminal, the JSON of its fixed fields, built once so that a message is one template string.
    this.suffix = Array.from({ length: pop.terminalMcc.length }, (_, t) =>
      extended
        ? `,"mcc":${pop.terminalMcc[t]},"channel":"${CHANNEL_NAMES[pop.terminalChannel[t]! - 1]}",` +
          `"cardPresent":${pop.terminalChannel[t] !== 2},"country":"${unpackCountry(pop.terminalCountry[t]!)}",` +
          `"lat":${pop.terminalLat[t]},"lon":${pop.terminalLon[t]}}`
        : '}',
    );
  }

  next(max: number, out: JsonMessage[], labels: JsonMessage[]): Promise<number> {
    let n = 0;
    while (n < max) {
      let b = this.batch;
      if (b === undefined || this.index >= b.count) {
        b = this.simulator.nextDay();
        this.batch = b;
        this.index = 0;
        if (b === undefined) break;
        continue;
      }
      const i = this.index++;
      const ts = b.dayStartMs + b.timeSec[i]! * 1000;
      const id = String(b.firstId + i);
      const card = String(b.customer[i]);
      const term = b.terminal[i]!;
      out.push({
        key: card,
        value:
          `{"id":"${id}","cardId":"${card}","terminalId":"${term}","amount":${b.amount[i]},"currency":"EUR",` +
          `"timestamp":"${new Date(ts).toISOString()}"${this.suffix[term]}`,
      });
      this.schedule(id, ts, b.fraud[i] === 1, labels, card);
      n++;
    }
    return Promise.resolve(n);
  }

  close(): void {}
}

/** A CSV file in the interchange format (what `generate` writes) as JSON messages; bad rows are counted, not sent. */
export class CsvFeed extends LabelScheduler implements TransactionFeed {
  private readonly reader: LineReader;
  private header: CsvHeader | undefined;
  private readonly path: string;

  constructor(path: string, options: FeedLabelOptions = {}) {
    super(options);
    this.path = path;
    this.reader = new LineReader(path, Limits.maxCsvLineLength);
  }

  /** The next line, waiting for the file when nothing is buffered; undefined at the end. */
  private async line(): Promise<string | typeof LINE_TOO_LONG | undefined> {
    for (;;) {
      const line = this.reader.next();
      if (line !== null) {
        if (line === undefined && this.reader.error !== undefined) throw this.reader.error;
        return line;
      }
      await new Promise<void>((resolve) => {
        this.reader.onReadable = resolve;
      });
    }
  }

  async next(max: number, out: JsonMessage[], labels: JsonMessage[]): Promise<number> {
    if (this.header === undefined) {
      const first = await this.line();
      const h = parseCsvHeader(typeof first === 'string' ? first : '');
      if (!h.ok) throw new Error(`${this.path}: ${h.error.message}`);
      this.header = h.value;
    }
    let n = 0;
    while (n < max) {
      const line = await this.line();
      if (line === undefined) break;
      if (line === LINE_TOO_LONG) {
        this.rejected.add({ code: 'too_long', field: '$', message: `a CSV line must be at most ${Limits.maxCsvLineLength} characters` });
        continue;
      }
      const r = parseCsvRow(line, this.header);
      if (!r.ok) {
        this.rejected.add(r.error);
        continue;
      }
      const tx = r.value.tx;
      out.push({ key: tx.cardId, value: transactionJson(tx) });
      if (r.value.fraud !== undefined) this.schedule(tx.id, tx.timestampMs, r.value.fraud, labels, tx.cardId);
      n++;
    }
    return n;
  }

  close(): void {
    this.reader.close();
  }
}
