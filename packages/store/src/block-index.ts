/**
 * The in-memory index of a decision log's blocks, one entry per block in log order, as structure-of-arrays in
 * growable Float64Arrays (7 numbers, 56 bytes per block of up to 4096 decisions; no object per block).
 */
export class GrowableIndex {
  length = 0;
  private data = new Float64Array(7 * 1024);

  /** Appends a block: its log position, decision count, first record index, event-time range, alerts and size. */
  push(pos: number, count: number, first: number, minTs: number, maxTs: number, alerts: number, bytes: number): void {
    if ((this.length + 1) * 7 > this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    const o = this.length * 7;
    this.data[o] = pos;
    this.data[o + 1] = count;
    this.data[o + 2] = first;
    this.data[o + 3] = minTs;
    this.data[o + 4] = maxTs;
    this.data[o + 5] = alerts;
    this.data[o + 6] = bytes;
    this.length++;
  }

  pos(b: number): number {
    return this.data[b * 7] as number;
  }
  count(b: number): number {
    return this.data[b * 7 + 1] as number;
  }
  first(b: number): number {
    return this.data[b * 7 + 2] as number;
  }
  minTs(b: number): number {
    return this.data[b * 7 + 3] as number;
  }
  maxTs(b: number): number {
    return this.data[b * 7 + 4] as number;
  }
  alerts(b: number): number {
    return this.data[b * 7 + 5] as number;
  }
  bytes(b: number): number {
    return this.data[b * 7 + 6] as number;
  }

  /** Keeps the first `n` blocks. */
  truncate(n: number): void {
    this.length = n;
  }

  /** The block whose position is exactly `pos`, or -1. */
  findPos(pos: number): number {
    let lo = 0;
    let hi = this.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = this.pos(mid);
      if (p === pos) return mid;
      if (p < pos) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The block holding record index `record` (which must be below the last block's end). */
  blockOf(record: number): number {
    let lo = 0;
    let hi = this.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.first(mid) <= record) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
