import { build, type Histogram } from 'hdr-histogram-js';

const SLOTS = 10;

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  p50: number;
  p99: number;
  p999: number;
  max: number;
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
