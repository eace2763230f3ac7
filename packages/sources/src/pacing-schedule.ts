/** Lag behind the schedule beyond which a live source re-bases it (and counts the transactions it skipped), ms. */
export const DEFAULT_MAX_LAG_MS = 5000;

/**
 * The pacing schedule of a source offering `rate` transactions per second: transaction k of a run is due at
 * `start + k / rate`, whatever happened since. A source that was held back (a full ring) owes every transaction that
 * fell due meanwhile and writes them as soon as it can, each keeping its due time, so the wait counts as latency
 * (no coordinated omission). When the lag passes `maxLagMs` the schedule is moved up to it and the transactions
 * skipped are counted as `shed` (offered load never written, reported, never silent). `rate = Infinity` is unpaced:
 * there is no schedule, and a transaction is due when it is written.
 */
export class PacingSchedule {
  private rate: number;
  private stepMs: number;
  /** Due time of the next transaction, epoch ms. */
  private nextDueMs = Number.NaN;
  /** Transactions skipped because the lag passed `maxLagMs`. */
  shed = 0;
  /** Largest lag seen behind the schedule when a tick began, ms. */
  maxLagMs = 0;

  constructor(
    rate: number,
    private readonly lagLimitMs = DEFAULT_MAX_LAG_MS,
  ) {
    this.rate = rate;
    this.stepMs = 1000 / rate;
  }

  /** Transactions per second. */
  get perSecond(): number {
    return this.rate;
  }

  /** Starts (or resumes) the schedule at `nowMs` (epoch): the first transaction is due at once. */
  start(nowMs: number): void {
    this.nextDueMs = nowMs;
  }

  /** Changes the rate from `nowMs`: what is already owed stays owed; the next transaction is due within one new step. */
  setRate(rate: number, nowMs: number): void {
    this.rate = rate;
    this.stepMs = 1000 / rate;
    if (!(this.nextDueMs <= nowMs + this.stepMs)) this.nextDueMs = nowMs + (rate === Infinity ? 0 : this.stepMs);
  }

  /** How many transactions are due at `nowMs` (Infinity when unpaced); re-bases a lag beyond the limit first. */
  due(nowMs: number): number {
    if (this.rate === Infinity) return Infinity;
    const lag = nowMs - this.nextDueMs;
    if (lag < 0) return 0;
    if (lag > this.maxLagMs) this.maxLagMs = lag;
    if (lag > this.lagLimitMs) {
      const skip = Math.floor(((lag - this.lagLimitMs) * this.rate) / 1000);
      this.shed += skip;
      this.nextDueMs += skip * this.stepMs;
    }
    return Math.floor(((nowMs - this.nextDueMs) * this.rate) / 1000) + 1;
  }

  /** Due time of the k-th transaction from now on (k = 0 is the next one), epoch ms; `nowMs` when unpaced. */
  dueAt(k: number, nowMs: number): number {
    return this.rate === Infinity ? nowMs : this.nextDueMs + k * this.stepMs;
  }

  /** Marks `n` transactions written. */
  take(n: number): void {
    if (this.rate !== Infinity) this.nextDueMs += n * this.stepMs;
  }

  /** Current lag behind the schedule at `nowMs`, ms (0 when on time or unpaced). */
  lagMs(nowMs: number): number {
    return this.rate === Infinity ? 0 : Math.max(0, nowMs - this.nextDueMs);
  }

  /** Milliseconds until `n` more transactions are due (0 when they already are). */
  msUntil(n: number, nowMs: number): number {
    if (this.rate === Infinity) return 0;
    return Math.max(0, this.nextDueMs + (n - 1) * this.stepMs - nowMs);
  }

  /**
   * Transactions worth waking for: about one millisecond of the rate (at least 1), so a fast source wakes about once
   * per millisecond with a chunk instead of spinning on setImmediate for a few items at a time.
   */
  quantum(): number {
    return this.rate === Infinity ? 1 : Math.max(1, Math.floor(this.rate / 1000));
  }
}
