import {
  Limits,
  parseCsvHeader,
  parseCsvRow,
  RecordViews,
  RECORD_SIZE,
  type ValidationError,
} from '@fraudstream/schema';
import { CsvHeaderError, integerInRange, nonEmptyString, nonNegativeNumber } from './errors.js';
import { LINE_TOO_LONG, LineReader } from './line-reader.js';
import { GrowableColumn, RecordBuffer } from './record-buffer.js';
import { LINE_TOO_LONG_ERROR } from './replay.js';

const MS_PER_DAY = 86_400_000;

/** Options of {@link readCsvRecords}. */
export interface ReadCsvOptions {
  /** When given (days of event time, fractional allowed) and the file has TX_FRAUD: interleave label records. */
  labelDelayDays?: number;
  /** How many rejected rows to keep with their error (default 100); all are counted. */
  maxRejectedKept?: number;
}

/** A rejected CSV row: the validation error and the 1-based line number. */
export interface RejectedRow extends ValidationError {
  line: number;
}

/** A whole CSV file as records, in event-time order, for offline tools (train, backtest). */
export interface CsvRecords {
  /** The records: transactions and, with `labelDelayDays`, labels (slots 0 .. count - 1). */
  views: RecordViews;
  /** Records in `views`. */
  count: number;
  /** Transactions (valid rows). */
  txCount: number;
  /** Per transaction, in transaction (event-time) order: TX_FRAUD (0 when the file has no such column). */
  fraud: Uint8Array;
  /** Per transaction: TX_FRAUD_SCENARIO (0 when absent). */
  scenario: Uint8Array;
  /** Per transaction: event time, epoch ms. */
  txTimestampsMs: Float64Array;
  /** Per transaction: its slot in `views` (differs from the index when labels are interleaved). */
  txSlots: Uint32Array;
  /** Transaction index -> string id, for ids that are not integers (their record has txNum NaN). */
  stringIds: Map<number, string>;
  /** True when the file has a TX_FRAUD column. */
  labelled: boolean;
  /** True when the file was already in event-time order (else it was stably sorted by TX_DATETIME). */
  sortedInFile: boolean;
  /** The first rejected rows (see `maxRejectedKept`). */
  rejected: RejectedRow[];
  /** All rejected rows. */
  rejectedCount: number;
}

/**
 * Reads a whole CSV interchange file into records: transactions in event-time order (stable sort by TX_DATETIME when
 * the file is not sorted) and, when `labelDelayDays` is given, each transaction's label record written just before
 * the first transaction at or after `tsMs + delay` (the remaining ones at the end): the same stream the live sources
 * write. A label's `txNum` is its transaction's slot in `views`. `ingestMs` is 0 (offline). Bad rows are counted and
 * skipped; a bad header rejects the promise with a {@link CsvHeaderError}.
 * Note: needs about 64 bytes per record plus, when sorting or interleaving labels, a second copy during the build.
 */
export async function readCsvRecords(path: string, options: ReadCsvOptions = {}): Promise<CsvRecords> {
  nonEmptyString(path, 'path');
  const delayDays = options.labelDelayDays;
  const delayMs =
    delayDays === undefined ? undefined : nonNegativeNumber(delayDays, 'options.labelDelayDays') * MS_PER_DAY;
  const maxKept = integerInRange(options.maxRejectedKept ?? 100, 'options.maxRejectedKept', 0, 1_000_000);

  const reader = new LineReader(path, Limits.maxCsvLineLength);
  let waiting: (() => void) | undefined;
  reader.onReadable = () => {
    const w = waiting;
    waiting = undefined;
    w?.();
  };
  const nextLine = async (): Promise<string | typeof LINE_TOO_LONG | undefined> => {
    for (;;) {
      const line = reader.next();
      if (line !== null) return line;
      await new Promise<void>((resolve) => (waiting = resolve));
    }
  };

  const txs = new RecordBuffer(64 * 1024);
  const fraud = new GrowableColumn((n) => new Uint8Array(n), 64 * 1024);
  const scenario = new GrowableColumn((n) => new Uint8Array(n), 64 * 1024);
  const stringIds = new Map<number, string>();
  const rejected: RejectedRow[] = [];
  let rejectedCount = 0;
  let sortedInFile = true;
  let lastTs = -Infinity;
  let labelled: boolean;
  try {
    const first = await nextLine();
    if (reader.error !== undefined) throw reader.error;
    const h = parseCsvHeader(typeof first === 'string' ? first : '');
    if (!h.ok) throw new CsvHeaderError(path, h.error);
    const header = h.value;
    labelled = header.TX_FRAUD >= 0;
    const reject = (error: ValidationError): void => {
      rejectedCount++;
      if (rejected.length < maxKept) rejected.push({ ...error, line: reader.lineNumber });
    };
    for (let line = await nextLine(); line !== undefined; line = await nextLine()) {
      if (line === LINE_TOO_LONG) {
        reject(LINE_TOO_LONG_ERROR);
        continue;
      }
      const r = parseCsvRow(line, header);
      if (!r.ok) {
        reject(r.error);
        continue;
      }
      const { tx } = r.value;
      const slot = txs.append();
      txs.views.writeTransaction(slot, tx, 0);
      if (Number.isNaN(txs.views.txNum(slot))) stringIds.set(slot, tx.id);
      fraud.push(r.value.fraud === true ? 1 : 0);
      scenario.push(r.value.scenario);
      if (tx.timestampMs < lastTs) sortedInFile = false;
      lastTs = tx.timestampMs;
    }
    if (reader.error !== undefined) throw reader.error;
  } finally {
    reader.close();
  }

  const n = txs.count;
  const src = txs.views;
  const withLabels = delayMs !== undefined && labelled;
  if (sortedInFile && !withLabels) {
    const txSlots = new Uint32Array(n);
    const ts = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      txSlots[i] = i;
      ts[i] = src.timestampMs(i);
    }
    return {
      views: txs.trimmed(),
      count: n,
      txCount: n,
      fraud: fraud.toArray(),
      scenario: scenario.toArray(),
      txTimestampsMs: ts,
      txSlots,
      stringIds,
      labelled,
      sortedInFile,
      rejected,
      rejectedCount,
    };
  }

  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!sortedInFile) order.sort((a, b) => src.timestampMs(a) - src.timestampMs(b) || a - b);
  const count = withLabels ? 2 * n : n;
  const out = new RecordViews(new ArrayBuffer(Math.max(1, count) * RECORD_SIZE), 0, count);
  const ts = new Float64Array(n);
  const txSlots = new Uint32Array(n);
  const fraudOut = new Uint8Array(n);
  const scenarioOut = new Uint8Array(n);
  const ids = new Map<number, string>();
  const writeLabel = (j: number, slot: number): void => {
    const from = order[j]!;
    out.writeLabel(
      slot,
      txSlots[j]!,
      ts[j]!,
      src.cardKeyLo(from),
      src.cardKeyHi(from),
      src.termKeyLo(from),
      src.termKeyHi(from),
      fraudOut[j] === 1,
      0,
    );
  };
  let slot = 0;
  let nextLabel = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    const t = src.timestampMs(i);
    if (withLabels) {
      while (nextLabel < j && ts[nextLabel]! + delayMs <= t) writeLabel(nextLabel++, slot++);
    }
    out.copyFrom(src, i, slot);
    ts[j] = t;
    txSlots[j] = slot;
    fraudOut[j] = fraud.data[i]!;
    scenarioOut[j] = scenario.data[i]!;
    const id = stringIds.get(i);
    if (id !== undefined) ids.set(j, id);
    slot++;
  }
  if (withLabels) while (nextLabel < n) writeLabel(nextLabel++, slot++);
  return {
    views: out,
    count,
    txCount: n,
    fraud: fraudOut,
    scenario: scenarioOut,
    txTimestampsMs: ts,
    txSlots,
    stringIds: ids,
    labelled,
    sortedInFile,
    rejected,
    rejectedCount,
  };
}
