const SAMPLES = 64;

/**
 * Per-second rates of monotonically increasing counters, from samples taken at most every `everyMs`:
 * rate = (value now - value about one second ago) / elapsed seconds.
 */
export class RateMeter {
  private readonly times = new Float64Array(SAMPLES);
  private readonly values: Float64Array[];
  private count = 0;

  constructor(
    private readonly counters: number,
    private readonly everyMs = 100,
  ) {
    this.values = Array.from({ length: counters }, () => new Float64Array(SAMPLES));
  }

  /** Records the counters' current values (cheap; ignored if the last sample is younger than everyMs). */
  sample(nowMs: number, ...values: number[]): void {
    const last = (this.count - 1 + SAMPLES) % SAMPLES;
    if (this.count > 0 && nowMs - (this.times[last] ?? 0) < this.everyMs) return;
    const i = this.count % SAMPLES;
    this.times[i] = nowMs;
    for (let c = 0; c < this.counters; c++) (this.values[c] as Float64Array)[i] = values[c] ?? 0;
    this.count++;
  }

  /** Rate of counter `c` per second over the last ~1 s (the oldest sample at least 1 s old, else the oldest kept). */
  rate(c: number, nowMs: number, current: number): number {
    if (this.count === 0) return 0;
    const kept = Math.min(this.count, SAMPLES);
    let pick = -1;
    for (let k = 1; k <= kept; k++) {
      const i = (this.count - k + SAMPLES * 2) % SAMPLES;
      pick = i;
      if (nowMs - (this.times[i] ?? 0) >= 1000) break;
    }
    const dt = (nowMs - (this.times[pick] ?? nowMs)) / 1000;
    if (dt <= 0.05) return 0;
    return Math.max(0, (current - ((this.values[c] as Float64Array)[pick] ?? 0)) / dt);
  }
}
