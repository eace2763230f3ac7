import { build, type Histogram } from 'hdr-histogram-js';

const SLOTS = 10;

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Upper bounds of the fixed latency buckets exported to Prometheus, seconds: 10 µs to 10 s, about three a decade. */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5, 10,
];
const BOUNDS_US = Float64Array.from(LATENCY_BUCKETS_S, (s) => s * 1e6);

/** Cumulative Prometheus-style buckets of every latency since the start (see {@link LatencyBuckets.snapshot}). */
export interface BucketSnapshot {
  /** Upper bounds, seconds (`LATENCY_BUCKETS_S`). */
  boundsS: readonly number[];
  /** Latencies at or below each bound (cumulative). */
  cumulative: number[];
  /** All latencies recorded (the `+Inf` bucket). */
  count: number;
  /** Their sum, seconds. */
  sumS: number;
}

/**
 * Fixed buckets fed with each run of equal latencies (one call per run, not per transaction, like the HDR windows),
 * so a metrics scrape reads 20 numbers instead of merging histograms.
 */
export class LatencyBuckets {
  private readonly counts = new Float64Array(BOUNDS_US.length + 1);
  private sumUs = 0;
  private total = 0;

  /** Adds `count` latencies of `us` microseconds. */
  add(us: number, count: number): void {
    let i = 0;
    while (i < BOUNDS_US.length && us > (BOUNDS_US[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + count;
    this.sumUs += us * count;
    this.total += count;
  }

  /** The cumulative buckets, count and sum so far. */
  snapshot(): BucketSnapshot {
    const cumulative: number[] = [];
    let running = 0;
    for (let i = 0; i < BOUNDS_US.length; i++) {
      running += this.counts[i] as number;
      cumulative.push(running);
    }
    return { boundsS: LATENCY_BUCKETS_S, cumulative, count: this.total, sumS: this.sumUs / 1e6 };
  }
}

function newHistogram(): Histogram {
  // Microseconds from 1 us to 60 s at 3 significant digits; larger values are clamped into the top bucket.
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, autoResize: false });
}

/**
 * Ingest-to-decision latency over the last 10 seconds, as ten one-second HDR histograms in a ring, merged on read.
 * Recording is O(1) and allocation-free; reading merges at most ten histograms.
 */
export class LatencyWindow {
  private readonly slots: Histogram[] = Array.from({ length: SLOTS }, newHistogram);
  private readonly merged = newHistogram();
  /** Every second that left the window, folded in as it left (so `total()` covers the whole run). */
  private readonly folded = newHistogram();
  /** Every latency since the start in fixed buckets, for the metrics endpoint. */
  readonly buckets = new LatencyBuckets();
  private second = -1;

  /** Moves the window to the second of `nowMs`, clearing the seconds that passed. */
  rotate(nowMs: number): void {
    const sec = Math.floor(nowMs / 1000);
    if (sec === this.second) return;
    const passed = this.second < 0 ? SLOTS : Math.min(SLOTS, sec - this.second);
    for (let i = 1; i <= passed; i++) {
      const h = this.slots[(this.second + i + SLOTS * 2) % SLOTS] as Histogram;
      if (h.totalCount > 0) {
        this.folded.add(h);
        h.reset();
      }
    }
    this.second = sec;
  }

  /** Records one latency in microseconds into the current second (call {@link rotate} first). */
  record(us: number): void {
    this.recordCount(us, 1);
  }

  /** Records `count` equal latencies (a run of transactions ingested together and decided in the same batch). */
  recordCount(us: number, count: number): void {
    const h = this.slots[((this.second % SLOTS) + SLOTS) % SLOTS] as Histogram;
    h.recordValueWithCount(us < 1 ? 1 : us > 60_000_000 ? 60_000_000 : us, count);
    this.buckets.add(us, count);
  }

  /** A new histogram (microseconds) of every latency recorded since the start; the caller owns it. */
  total(): Histogram {
    const t = newHistogram();
    t.add(this.folded);
    for (const h of this.slots) if (h.totalCount > 0) t.add(h);
    return t;
  }

  /** Percentiles over the last 10 s, in ms (0 when nothing was recorded). */
  summary(nowMs: number): LatencySummary {
    this.rotate(nowMs);
    this.merged.reset();
    for (const h of this.slots) if (h.totalCount > 0) this.merged.add(h);
    return summarize(this.merged);
  }
}

/** Percentiles of a microsecond histogram, in ms (0 when empty). */
export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { p50: 0, p99: 0, p999: 0, max: 0 };
  const ms = (v: number): number => Math.round(v) / 1000;
  // A percentile is reported as its bucket's highest equivalent value, which can exceed the exact maximum recorded:
  // clamp, so p50 <= p99 <= p99.9 <= max always reads true.
  const at = (p: number): number => ms(Math.min(h.getValueAtPercentile(p), h.maxValue));
  return { p50: at(50), p99: at(99), p999: at(99.9), max: ms(h.maxValue) };
}
