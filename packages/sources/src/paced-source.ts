import { booleanOption, functionOption, integerInRange, nonNegativeNumber } from './errors.js';
import { DEFAULT_MAX_PENDING_LABELS, LabelQueue } from './label-queue.js';
import { assertRecordSink, type RecordSink } from './sink.js';
import { PacingSchedule } from './pacing-schedule.js';

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
  /**
   * Lag behind the pacing schedule beyond which it is re-based and the skipped transactions counted as `shed`, ms
   * (default 5000; Infinity never sheds, as a benchmark wants). See {@link PacingSchedule}.
   */
  maxLagMs?: number;
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
  /** Wall time the source spent held back by a full sink, ms (from the first full claim to the next write). */
  heldBackMs: number;
  /** Pacing: current and largest lag behind the schedule (ms), and transactions shed when the lag passed its limit. */
  schedule: { lagMs: number; maxLagMs: number; shed: number };
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

const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * The pacing loop shared by the generator and the replay: a {@link PacingSchedule} read on each tick of a timer loop
 * (setImmediate while transactions are due, otherwise setTimeout until about a millisecond of them is), calling
 * `emit(budget)` to write up to `budget` transactions; `emit` stamps each transaction's due time from the schedule
 * (`dueAt`) into the sink's `dueMs`, so latency starts when a transaction was due, not when it got a ring slot.
 * Backpressure (a full sink) is a retry after 1 ms, counted and timed, never a drop.
 */
export abstract class PacedSource {
  protected readonly pacing: PacingSchedule;
  protected state: SourceState = 'idle';
  protected backpressureWaits = 0;
  /** When the sink was first found full in the current stretch (NaN when not held back), and the total. */
  private heldSinceMs = Number.NaN;
  private heldBackMs = 0;
  /** Epoch time of the current tick, for `dueAt`. */
  private tickMs = 0;
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
    const maxLag = options.maxLagMs;
    this.pacing = new PacingSchedule(rate, maxLag === undefined || maxLag === Infinity ? maxLag : nonNegativeNumber(maxLag, 'options.maxLagMs'));
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
    const t = epochNow();
    return {
      state: this.state,
      generated: this.generated,
      labelsEmitted: this.labelsEmitted,
      pendingLabels: this.queue.size,
      backpressureWaits: this.backpressureWaits,
      heldBackMs: this.heldBackMs + (Number.isNaN(this.heldSinceMs) ? 0 : t - this.heldSinceMs),
      schedule: { lagMs: this.state === 'running' ? this.pacing.lagMs(t) : 0, maxLagMs: this.pacing.maxLagMs, shed: this.pacing.shed },
      simulatedTimeMs: this.simulatedTimeMs,
      tps: this.pacing.perSecond,
      error: this.failure,
    };
  }

  /** Writes up to `budget` transactions (plus any labels due); returns how many transactions it wrote. */
  protected abstract emit(budget: number): number;

  /** When the k-th transaction written by the current `emit` call was due (epoch ms), for the sink's `dueMs`. */
  protected dueAt(k: number): number {
    return this.pacing.dueAt(k, this.tickMs);
  }

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
    this.pacing.start(epochNow());
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
    this.pacing.setRate(rate, epochNow());
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
    const t = epochNow();
    this.tickMs = t;
    const budget = Math.min(this.pacing.due(t), MAX_PER_TICK);
    this.halt = Halt.None;
    try {
      if (budget >= 1) {
        const n = this.emit(budget);
        this.pacing.take(n);
        if (n > 0 && !Number.isNaN(this.heldSinceMs)) {
          this.heldBackMs += t - this.heldSinceMs;
          this.heldSinceMs = Number.NaN;
        }
      }
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
        if (Number.isNaN(this.heldSinceMs)) this.heldSinceMs = t;
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
        // Wake when about a millisecond of transactions is due (see PacingSchedule.quantum): at 100,000/s a wake-up
        // per few items cost more CPU than the items themselves (profile: the main thread spun in setImmediate).
        this.schedule(this.pacing.msUntil(this.pacing.quantum(), epochNow()));
    }
  };
}
