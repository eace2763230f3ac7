import { packCurrency } from '@fraudstream/schema';
import { booleanOption, functionOption, integerInRange, nonNegativeNumber, numberInRange } from './errors.js';
import { DEFAULT_MAX_PENDING_LABELS, LabelQueue, writeAllLabels } from './label-queue.js';
import { Halt, PacedSource, type SourceState } from './paced-source.js';
import { assertRecordSink, type RecordSink } from './sink.js';
import type { DayBatch } from './simulator/day-batch.js';
import type { SimulatorOptions } from './simulator/options.js';
import { Simulator } from './simulator/simulator.js';

/** Lowest generator rate, transactions per second. */
export const MIN_TPS = 1;
/** Highest generator rate, transactions per second. */
export const MAX_TPS = 5_000_000;
/** Default label delay, simulated days (chargebacks arrive about a week after the transaction). */
export const DEFAULT_LABEL_DELAY_DAYS = 7;
const MS_PER_DAY = 86_400_000;
/** Most slots claimed at once. */
const CHUNK = 8192;
const EUR = packCurrency('EUR');

/** Options of {@link LiveGenerator}: the simulator's plus pacing and labels. `days` defaults to Infinity here. */
export interface LiveGeneratorOptions extends SimulatorOptions {
  /** Where records go. */
  sink: RecordSink;
  /** Transactions per second of wall time, 1 .. 5,000,000. */
  tps: number;
  /** Emit a label record for every transaction once its delay has passed (default true). */
  labels?: boolean;
  /** Label delay in simulated event time, days (fractional allowed), default 7. */
  labelDelayDays?: number;
  /** Bound on labels waiting for their delay (default 4M); beyond it the oldest is emitted early. */
  maxPendingLabels?: number;
  /** Called once when a finite `days` run has written everything, or with the error when the source fails. */
  onEnd?: (error?: Error) => void;
}

/** Counters of a source, for `/api/stats` and tests. */
export interface SourceStats {
  state: SourceState;
  /** Transactions written to the sink. */
  generated: number;
  /** Label records written to the sink. */
  labelsEmitted: number;
  /** Labels waiting for their delay. */
  pendingLabels: number;
  /** Times the sink was full and the source waited. */
  backpressureWaits: number;
  /** Event time of the last transaction written (the start date's midnight before the first). */
  simulatedTimeMs: number;
  /** Target rate, transactions per second (Infinity = unpaced). */
  tps: number;
  /** Why the source failed (`state === 'failed'`): a file error, a bad CSV header, an exception from the sink. */
  error: Error | undefined;
}

/**
 * The simulator as a live source: paced at `tps` in wall time, writing 64-byte records straight into a
 * {@link RecordSink} in chunks (claim -> write typed arrays -> publish), with labels following each transaction
 * `labelDelayDays` later in simulated time. Runs forever unless `days` is given.
 * Note: the emission loop copies numbers from the simulator's typed arrays into the sink's views; it allocates
 * nothing and hashes nothing per transaction.
 */
export class LiveGenerator extends PacedSource {
  /** The simulator feeding this generator (its population, options, start date). */
  readonly simulator: Simulator;
  private readonly sink: RecordSink;
  private readonly labels: boolean;
  private readonly delayMs: number;
  private readonly queue: LabelQueue;
  private readonly onEnd: ((error?: Error) => void) | undefined;
  private batch: DayBatch | undefined;
  private index = 0;
  private exhausted = false;
  private generated = 0;
  private labelsEmitted = 0;
  private simulatedTimeMs: number;

  constructor(options: LiveGeneratorOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const tps = numberInRange(options.tps, 'options.tps', MIN_TPS, MAX_TPS);
    super(tps);
    assertRecordSink(options.sink, 'options.sink');
    this.sink = options.sink;
    this.labels = options.labels === undefined ? true : booleanOption(options.labels, 'options.labels');
    this.delayMs =
      nonNegativeNumber(options.labelDelayDays ?? DEFAULT_LABEL_DELAY_DAYS, 'options.labelDelayDays') * MS_PER_DAY;
    const maxPending = integerInRange(
      options.maxPendingLabels ?? DEFAULT_MAX_PENDING_LABELS,
      'options.maxPendingLabels',
      1,
      2 ** 28,
    );
    this.queue = new LabelQueue(maxPending);
    this.onEnd = options.onEnd === undefined ? undefined : functionOption<(error?: Error) => void>(options.onEnd, 'options.onEnd');
    this.simulator = new Simulator(options, Infinity);
    this.simulatedTimeMs = this.simulator.startMs;
  }

  /** Changes the rate (1 .. 5,000,000 transactions per second), effective at once. */
  setTps(tps: number): void {
    this.changeRate(numberInRange(tps, 'tps', MIN_TPS, MAX_TPS));
  }

  /** Current counters. */
  stats(): SourceStats {
    return {
      state: this.state,
      generated: this.generated,
      labelsEmitted: this.labelsEmitted,
      pendingLabels: this.queue.size,
      backpressureWaits: this.backpressureWaits,
      simulatedTimeMs: this.simulatedTimeMs,
      tps: this.bucket.perSecond,
      error: this.failure,
    };
  }

  protected override finished(): void {
    this.onEnd?.(this.failure);
  }

  /** The current day with at least one transaction left, advancing days as needed; undefined at the end. */
  private current(): DayBatch | undefined {
    let b = this.batch;
    while (b === undefined || this.index >= b.count) {
      if (this.exhausted) return undefined;
      b = this.simulator.nextDay();
      this.index = 0;
      this.batch = b;
      if (b === undefined) {
        this.exhausted = true;
        return undefined;
      }
    }
    return b;
  }

  protected override emit(budget: number): number {
    const sink = this.sink;
    const views = sink.views;
    const { f64, u32, u16, f32 } = views;
    const pop = this.simulator.population;
    const cardKeys = pop.cardKeys;
    const termKeys = pop.terminalKeys;
    const queue = this.queue;
    const labels = this.labels;
    const delayMs = this.delayMs;
    let written = 0;
    while (written < budget) {
      const b = this.current();
      if (b === undefined) {
        this.flushLabels();
        return written;
      }
      // A chunk never crosses a day, so every claimed slot can be filled from this day's remaining transactions.
      const k = sink.claim(Math.min(budget - written, CHUNK, b.count - this.index));
      if (k === 0) {
        this.halt = Halt.SinkFull;
        return written;
      }
      const slot0 = sink.claimedSlot;
      const seq0 = sink.claimedSeq;
      const ingestMs = performance.timeOrigin + performance.now();
      const { timeSec, customer, terminal, amount, fraud } = b;
      const dayStartMs = b.dayStartMs;
      const firstId = b.firstId;
      let i = this.index;
      let lastTs = this.simulatedTimeMs;
      const first = i;
      for (let s = 0; s < k; s++) {
        const slot = slot0 + s;
        const ts = dayStartMs + timeSec[i]! * 1000;
        if (queue.size > 0 && (queue.headTs() + delayMs <= ts || queue.full)) {
          queue.writeHead(views, slot, ingestMs);
          this.labelsEmitted++;
          continue;
        }
        const c = customer[i]! * 2;
        const t = terminal[i]! * 2;
        const b8 = slot * 8;
        const b4 = slot * 16;
        f64[b8] = firstId + i;
        f64[b8 + 1] = ts;
        f64[b8 + 2] = amount[i]!;
        f64[b8 + 3] = ingestMs;
        u32[b4 + 8] = cardKeys[c]!;
        u32[b4 + 9] = cardKeys[c + 1]!;
        u32[b4 + 10] = termKeys[t]!;
        u32[b4 + 11] = termKeys[t + 1]!;
        // mcc, channel and flags (bytes 48..51) unknown; country unknown; currency EUR; no location.
        u32[b4 + 12] = 0;
        u16[slot * 32 + 26] = 0;
        u16[slot * 32 + 27] = EUR;
        f32[b4 + 14] = Number.NaN;
        f32[b4 + 15] = Number.NaN;
        if (labels) {
          queue.push(seq0 + s, ts, cardKeys[c]!, cardKeys[c + 1]!, termKeys[t]!, termKeys[t + 1]!, fraud[i]!);
        }
        lastTs = ts;
        i++;
      }
      sink.publish(k);
      this.index = i;
      this.simulatedTimeMs = lastTs;
      this.generated += i - first;
      written += i - first;
    }
    return written;
  }

  /** At the end of the input: writes every pending label, then ends. */
  private flushLabels(): void {
    this.labelsEmitted += writeAllLabels(this.queue, this.sink);
    this.halt = this.queue.size > 0 ? Halt.SinkFull : Halt.Ended;
  }

}
