/** Seconds of tokens a bucket may hold: bursts are at most this much of the rate (and at least one token). */
export const BURST_SECONDS = 0.05;

/**
 * Token bucket pacing a source at `rate` items per second of wall time. Tokens accrue continuously and cap at
 * `max(1, rate * BURST_SECONDS)`, so 1/s gives one item about every second and a stall is not followed by a burst
 * larger than 50 ms worth. `rate = Infinity` means unpaced.
 */
export class TokenBucket {
  private rate: number;
  private burst: number;
  private tokens = 0;
  private last = 0;

  constructor(rate: number) {
    this.rate = rate;
    this.burst = burstOf(rate);
  }

  /** Items per second. */
  get perSecond(): number {
    return this.rate;
  }

  /** Starts accruing from `nowMs` with one token available (so a start emits at once). */
  reset(nowMs: number): void {
    this.last = nowMs;
    this.tokens = Math.min(1, this.burst);
  }

  /** Changes the rate from `nowMs` on (tokens accrued so far at the old rate are kept, within the new cap). */
  setRate(rate: number, nowMs: number): void {
    this.refill(nowMs);
    this.rate = rate;
    this.burst = burstOf(rate);
    this.tokens = Math.min(this.tokens, this.burst);
  }

  /** Accrues tokens up to `nowMs` and returns how many are available. */
  refill(nowMs: number): number {
    if (this.rate === Infinity) return Infinity;
    const elapsed = nowMs - this.last;
    this.last = nowMs;
    if (elapsed > 0) this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
    return this.tokens;
  }

  /** Spends `n` tokens. */
  take(n: number): void {
    if (this.rate !== Infinity) this.tokens -= n;
  }

  /** Milliseconds until one whole token is available (0 when it already is). */
  msUntilToken(): number {
    return this.msUntil(1);
  }

  /** Milliseconds until `n` tokens are available (0 when they already are). */
  msUntil(n: number): number {
    if (this.rate === Infinity || this.tokens >= n) return 0;
    return ((n - this.tokens) * 1000) / this.rate;
  }

  /**
   * Tokens worth waiting for between two emissions: about one millisecond of the rate (at least 1, at most the
   * burst), so a fast source wakes about once per millisecond with a chunk instead of spinning on setImmediate for
   * a few items at a time.
   */
  quantum(): number {
    return this.rate === Infinity ? 1 : Math.max(1, Math.min(this.burst, Math.floor(this.rate / 1000)));
  }
}

function burstOf(rate: number): number {
  return rate === Infinity ? Infinity : Math.max(1, rate * BURST_SECONDS);
}
