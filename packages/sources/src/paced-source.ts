import { booleanOption, functionOption, integerInRange, nonNegativeNumber } from './errors.js';
import { DEFAULT_MAX_PENDING_LABELS, LabelQueue } from './label-queue.js';
import { assertRecordSink, type RecordSink } from './sink.js';
import { TokenBucket } from './token-bucket.js';

const MS_PER_DAY = 86_400_000;

/** Default label delay, days of event time (the Fraud Detection Handbook's delay period). */
export const DEFAULT_LABEL_DELAY_DAYS = 7;

/** Options every paced source shares: where records go and how labels follow transactions. */
export interface LabelledSourceOptions {
  /** Where records go. */
  sink: RecordSink;
  /** Emit a label record for every labelled transaction once its delay has passed (default true). */
  labels?: boolean;
  /** Label delay in event time, days (fractional allowed), default 7. */
  labelDelayDays?: number;
  /** Bound on labels waiting for their delay (default 4M); beyond it the oldest is emitted early. */
  maxPendingLabels?: number;
  /** Called once when the input is exhausted and everything was written, or with the error when the source fails. */
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

/** Lifecycle of a source, discriminating its stats. */
export type SourceState = 'idle' | 'running' | 'stopped' | 'ended' | 'failed';

/** Why an emission pass stopped before spending its budget. */
export const Halt = {
  /** The budget was spent (or the pass is simply done). */
  None: 0,
  /** The sink had no free slot: retry shortly (backpressure). */
  SinkFull: 1,
  /** No input is buffered yet: the source calls `wake()` when it is. */
  Starved: 2,
  /** The input is exhausted and everything was written. */
  Ended: 3,
  /** The input failed; `failure` says why. */
  Failed: 4,
} as const;
type HaltCode = (typeof Halt)[keyof typeof Halt];

/** Most transactions written in one timer tick, so the event loop stays responsive at any rate. */
export const MAX_PER_TICK = 16384;
/** Delay before retrying a full sink, ms. */
export const BACKPRESSURE_RETRY_MS = 1;

/**
 * The pacing loop shared by the generator and the replay: a token bucket refilled on each tick of a timer loop
 * (setImmediate while tokens remain, otherwise setTimeout until about a millisecond of tokens has accrued), calling
 * `emit(budget)` to write up to `budget` transactions. Backpressure (a full sink) is a retry after 1 ms, counted, never a drop.
 */
export abstract class PacedSource {
  protected readonly bucket: TokenBucket;
  protected state: SourceState = 'idle';
  protected backpressureWaits = 0;
  /** Set by `emit` when it returns early. */
  protected halt: HaltCode = Halt.None;
  /** The error that made the source fail, when `state === 'failed'`. */
  protected failure: Error | undefined;
  private timeout: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private starved = false;

  protected readonly sink: RecordSink;
  protected readonly labels: boolean;
  protected readonly delayMs: number;
  protected readonly queue: LabelQueue;
  protected readonly onEnd: ((error?: Error) => void) | undefined;
  protected generated = 0;
  protected labelsEmitted = 0;
  protected simulatedTimeMs = Number.NaN;

  /** Validates the shared options (errors name the option) and sets up pacing and the label queue. */
  protected constructor(rate: number, options: LabelledSourceOptions) {
    this.bucket = new TokenBucket(rate);
    assertRecordSink(options.sink, 'options.sink');
    this.sink = options.sink;
    this.labels = options.labels === undefined ? true : booleanOption(options.labels, 'options.labels');
    this.delayMs =
      nonNegativeNumber(options.labelDelayDays ?? DEFAULT_LABEL_DELAY_DAYS, 'options.labelDelayDays') * MS_PER_DAY;
    this.queue = new LabelQueue(
      integerInRange(options.maxPendingLabels ?? DEFAULT_MAX_PENDING_LABELS, 'options.maxPendingLabels', 1, 2 ** 28),
    );
    this.onEnd =
      options.onEnd === undefined ? undefined : functionOption<(error?: Error) => void>(options.onEnd, 'options.onEnd');
  }

  /** The counters every source reports. */
  protected sourceStats(): SourceStats {
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

  /** Writes up to `budget` transactions (plus any labels due); returns how many transactions it wrote. */
  protected abstract emit(budget: number): number;

  /** Called once when the source ends or fails. */
  protected finished(): void {
    this.onEnd?.(this.failure);
  }

  /** True between start() and stop() (or the end of the input). */
  get running(): boolean {
    return this.state === 'running';
  }

  /** Starts (or resumes after stop()) emission; a no-op when running, ended or failed. */
  start(): void {
    if (this.state !== 'idle' && this.state !== 'stopped') return;
    this.state = 'running';
    this.starved = false;
    this.bucket.reset(performance.now());
    this.schedule(0);
  }

  /** Stops emission; every claimed slot has been published. start() resumes where it stopped. */
  stop(): void {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    this.cancel();
  }

  /** Changes the pacing rate, effective at once. */
  protected changeRate(rate: number): void {
    this.bucket.setRate(rate, performance.now());
    if (this.state === 'running' && !this.starved) {
      this.cancel();
      this.schedule(0);
    }
  }

  /** Input became available after a `Halt.Starved` pass. */
  protected wake(): void {
    if (!this.starved) return;
    this.starved = false;
    if (this.state === 'running') this.schedule(0);
  }

  private cancel(): void {
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timeout = undefined;
    this.immediate = undefined;
  }

  private schedule(ms: number): void {
    // One timer at a time: a wake() racing a scheduled tick must not start a second loop.
    if (this.timeout !== undefined || this.immediate !== undefined) return;
    if (ms <= 0) this.immediate = setImmediate(this.tick);
    else this.timeout = setTimeout(this.tick, ms);
  }

  private readonly tick = (): void => {
    this.timeout = undefined;
    this.immediate = undefined;
    if (this.state !== 'running') return;
    const tokens = this.bucket.refill(performance.now());
    const budget = Math.min(Math.floor(tokens), MAX_PER_TICK);
    this.halt = Halt.None;
    try {
      if (budget >= 1) this.bucket.take(this.emit(budget));
    } catch (err) {
      // A throwing sink must not crash the process from a timer callback: the source fails, visibly.
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.halt = Halt.Failed;
    }
    // Read back through a widened type: TypeScript cannot see that emit() changes this.halt.
    const halt: HaltCode = this.halt as HaltCode;
    switch (halt) {
      case Halt.SinkFull:
        this.backpressureWaits++;
        this.schedule(BACKPRESSURE_RETRY_MS);
        return;
      case Halt.Starved:
        this.starved = true;
        return;
      case Halt.Ended:
      case Halt.Failed:
        this.state = halt === Halt.Ended ? 'ended' : 'failed';
        this.finished();
        return;
      default:
        // Wake when about a millisecond of tokens is there (see TokenBucket.quantum): at 100,000/s a wake-up per
        // few items cost more CPU than the items themselves (profile: the main thread spun in setImmediate).
        this.schedule(this.bucket.msUntil(this.bucket.quantum()));
    }
  };
}
