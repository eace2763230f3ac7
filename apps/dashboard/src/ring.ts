/**
 * A fixed-capacity ring of numeric samples (one Float64Array per series plus time), so chart history never grows:
 * at 5 updates a second, 1,500 points hold the last 5 minutes.
 */
export class SeriesRing {
  readonly capacity: number;
  readonly series: Float64Array[];
  private head = 0;
  size = 0;

  constructor(capacity: number, seriesCount: number) {
    this.capacity = capacity;
    this.series = Array.from({ length: seriesCount }, () => new Float64Array(capacity));
  }

  /** Appends one sample per series (`values.length` must equal the series count); drops the oldest when full. */
  push(values: readonly number[]): void {
    const at = (this.head + this.size) % this.capacity;
    for (let i = 0; i < this.series.length; i++) this.series[i]![at] = values[i] ?? Number.NaN;
    if (this.size < this.capacity) this.size++;
    else this.head = (this.head + 1) % this.capacity;
  }

  /** The samples in time order as plain arrays, the shape uPlot's setData takes (one allocation per call). */
  toArrays(): number[][] {
    return this.series.map((s) => {
      const out = new Array<number>(this.size);
      for (let i = 0; i < this.size; i++) out[i] = s[(this.head + i) % this.capacity]!;
      return out;
    });
  }
}

/** A bounded list: keeps the newest `capacity` items. */
export function pushBounded<T>(list: readonly T[], items: readonly T[], capacity: number): T[] {
  const merged = items.length >= capacity ? items.slice(-capacity) : [...list, ...items];
  return merged.length > capacity ? merged.slice(merged.length - capacity) : merged;
}
