import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TerminalTable, type TerminalMergeTarget } from '../src/index.js';
import { broker, freshTopics } from './helpers/kafka.js';

// Two TerminalTables (two instances) on one topic of the real broker, each merging into a target that sums what it
// is given per (terminal, day): the scorer's side of `mergeTerminalDays` is tested in Rust (state.rs).
let brokers = '';
beforeEach(async () => {
  brokers = await broker();
}, 300_000);

const tables: TerminalTable[] = [];
afterEach(async () => {
  for (const t of tables.splice(0)) await t.close();
});

/** Sums merged entries per `lo:hi:day` into [tx, labels, fraud]. */
class Summed implements TerminalMergeTarget {
  readonly sums = new Map<string, [number, number, number]>();
  mergeTerminalDays(entries: number[]): void {
    expect(entries.length % 6).toBe(0);
    for (let i = 0; i < entries.length; i += 6) {
      const key = `${entries[i]! >>> 0}:${entries[i + 1]! >>> 0}:${entries[i + 2]}`;
      const s = this.sums.get(key) ?? [0, 0, 0];
      for (let f = 0; f < 3; f++) s[f]! += entries[i + 3 + f]!;
      this.sums.set(key, s);
    }
  }
}

const DAY = 86_400_000;

describe('TerminalTable against a real broker', () => {
  it("each instance merges the others' per-terminal per-day counts once, and takes them back when it owns the partition itself", async () => {
    const [topic] = await freshTopics(brokers, 2, 'terminal-days');
    const owned1 = new Set([0, 1]);
    const owned2 = new Set([2, 3]);
    const [m1, m2] = [new Summed(), new Summed()];
    const t1 = new TerminalTable({ brokers: [brokers], topic: topic!, clientId: 'tt-1', publishIntervalMs: 60_000 }, m1, () => owned1);
    const t2 = new TerminalTable({ brokers: [brokers], topic: topic!, clientId: 'tt-2', publishIntervalMs: 60_000 }, m2, () => owned2);
    tables.push(t1, t2);
    // Terminal key 0xdeadbeef_00000007 (high bit set in both halves' range), days 17,000 and 17,001.
    const [lo, hi] = [7, 0xdeadbeef];
    for (let i = 0; i < 3; i++) t1.record(0, lo, hi, 17_000 * DAY + i, undefined);
    t1.record(1, lo, hi, 17_000 * DAY, { fraud: true });
    for (let i = 0; i < 2; i++) t2.record(2, lo, hi, 17_000 * DAY + 5, undefined);
    t2.record(2, lo, hi, 17_001 * DAY, { fraud: false });
    await Promise.all([t1.start(), t2.start()]);
    const settle = async (): Promise<void> => {
      const t0 = Date.now();
      for (;;) {
        await Promise.all([t1.tick(), t2.tick()]);
        const [a, b] = [t1.stats(), t2.stats()];
        if (a.settled && b.settled && Math.min(a.received, b.received) >= a.published + b.published) return;
        if (Date.now() - t0 > 30_000) throw new Error(`the tables did not settle: ${JSON.stringify([a, b])}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await settle();
    const key = (day: number): string => `${lo}:${hi}:${day}`;
    // Each got exactly the other's counts (its own published values come back and merge nothing).
    expect(m1.sums.get(key(17_000))).toEqual([2, 0, 0]);
    expect(m1.sums.get(key(17_001))).toEqual([0, 1, 0]);
    expect(m2.sums.get(key(17_000))).toEqual([3, 1, 1]);
    expect(m2.sums.has(key(17_001))).toBe(false);
    expect(t1.stats().published).toBe(2);
    expect(t2.stats().published).toBe(2);

    // Partition 2 moves to instance 1, which replays its transactions (its own counts now): the merged copy is taken
    // back, so they are counted once.
    owned2.delete(2);
    owned1.add(2);
    for (let i = 0; i < 2; i++) t1.record(2, lo, hi, 17_000 * DAY + 5, undefined);
    await settle();
    expect(m1.sums.get(key(17_000))).toEqual([0, 0, 0]);
    // Its label of day 17,001 was not replayed: the previous owner's published count still stands in for it.
    expect(m1.sums.get(key(17_001))).toEqual([0, 1, 0]);
    // Instance 2 now merges partition 2 as published by its new owner: the same totals, so no change for it.
    expect(m2.sums.get(key(17_000))).toEqual([3, 1, 1]);
  }, 60_000);

  it('fails to start, naming the topic, when the table topic does not exist', async () => {
    const t = new TerminalTable({ brokers: [brokers], topic: `missing-${Date.now().toString(36)}`, clientId: 'tt-x', publishIntervalMs: 1000 }, new Summed(), () => new Set());
    tables.push(t);
    await expect(t.start()).rejects.toThrow(/terminal table topic missing-\w+ cannot be read/);
  }, 60_000);
});
