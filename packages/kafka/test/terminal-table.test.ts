import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTerminalTableState, TerminalTable, type TerminalMergeTarget, type TerminalTableState } from '../src/index.js';
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
  readonly sums: Map<string, [number, number, number]>;
  constructor(from?: Summed) {
    // A copy stands for a scorer restored from a snapshot taken while `from` held these merges.
    this.sums = new Map([...(from?.sums ?? [])].map(([k, v]) => [k, [...v]]));
  }
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

/** Ticks the tables until each is settled and has read everything they published. */
async function settle(ts: TerminalTable[]): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    await Promise.all(ts.map((t) => t.tick()));
    const ss = ts.map((t) => t.stats());
    const published = ss.reduce((n, s) => n + s.published, 0);
    if (ss.every((s) => s.settled && s.received >= published)) return;
    if (Date.now() - t0 > 30_000) throw new Error(`the tables did not settle: ${JSON.stringify(ss)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
    // Its label of day 17,001 is left out of this replay (as a label older than the replay window would be): the
    // previous owner's published count still stands in for it.
    expect(m1.sums.get(key(17_001))).toEqual([0, 1, 0]);
    // Instance 2 now merges partition 2 as published by its new owner: the same totals, so no change for it.
    expect(m2.sums.get(key(17_000))).toEqual([3, 1, 1]);
  }, 60_000);

  it('fails to start, naming the topic, when the table topic does not exist', async () => {
    const t = new TerminalTable({ brokers: [brokers], topic: `missing-${Date.now().toString(36)}`, clientId: 'tt-x', publishIntervalMs: 1000 }, new Summed(), () => new Set());
    tables.push(t);
    await expect(t.start()).rejects.toThrow(/terminal table topic missing-\w+ cannot be read/);
  }, 60_000);

  it('holds merges while a checkpoint snapshot is pending (they stay dirty) and merges them once released', async () => {
    const [topic] = await freshTopics(brokers, 2, 'terminal-days');
    const [m1, m2] = [new Summed(), new Summed()];
    const t1 = new TerminalTable({ brokers: [brokers], topic: topic!, clientId: 'tt-h1', publishIntervalMs: 60_000 }, m1, () => new Set([0]));
    const t2 = new TerminalTable({ brokers: [brokers], topic: topic!, clientId: 'tt-h2', publishIntervalMs: 60_000 }, m2, () => new Set([1]));
    tables.push(t1, t2);
    await Promise.all([t1.start(), t2.start()]);
    t2.record(1, 9, 0, 17_000 * DAY, undefined);
    await settle([t1, t2]);
    expect(m1.sums.get('9:0:17000')).toEqual([1, 0, 0]);
    const merged = t1.hold();
    expect(merged).toEqual([['1:9:0:17000', 1, 0, 0]]);
    t2.record(1, 9, 0, 17_000 * DAY, { fraud: true });
    // t1 reads the new value but merges nothing while held: its target still matches the copy `hold` returned.
    const t0 = Date.now();
    while (t1.stats().received < 2 && Date.now() - t0 < 30_000) {
      await Promise.all([t1.tick(), t2.tick()]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(t1.stats().received).toBe(2);
    await t1.tick();
    expect(m1.sums.get('9:0:17000')).toEqual([1, 0, 0]);
    expect(t1.stats().settled).toBe(false);
    t1.release();
    await settle([t1, t2]);
    expect(m1.sums.get('9:0:17000')).toEqual([1, 1, 1]);
  }, 60_000);

  it('a restore from a saved state merges what the others published once, also what they and it published after the checkpoint; without it, twice', async () => {
    const [topic] = await freshTopics(brokers, 2, 'terminal-days');
    const [lo, hi] = [11, 0x80000001];
    const key = (day: number): string => `${lo}:${hi}:${day}`;
    const m1 = new Summed();
    const m2 = new Summed();
    const opts = (clientId: string): { brokers: string[]; topic: string; clientId: string; publishIntervalMs: number } => ({ brokers: [brokers], topic: topic!, clientId, publishIntervalMs: 60_000 });
    const t1 = new TerminalTable(opts('tt-r1'), m1, () => new Set([0, 1]));
    const t2 = new TerminalTable(opts('tt-r2'), m2, () => new Set([2, 3]));
    tables.push(t1, t2);
    await Promise.all([t1.start(), t2.start()]);
    for (let i = 0; i < 4; i++) t1.record(0, lo, hi, 17_000 * DAY, undefined);
    for (let i = 0; i < 5; i++) t2.record(2, lo, hi, 17_000 * DAY, i < 2 ? { fraud: i === 0 } : undefined);
    await settle([t1, t2]);
    // A checkpoint of instance 1: merges held at the barrier, own counts where the batches reach it, the snapshot
    // (the copy of its target) taken while held.
    const merged = t1.hold();
    t1.record(1, lo, hi, 17_001 * DAY, undefined); // counted before the barrier, never published before the crash
    const state: TerminalTableState = JSON.parse(JSON.stringify(t1.state(t1.ownEntries(), merged))) as TerminalTableState;
    const snapshot = new Summed(m1);
    t1.release();
    expect(parseTerminalTableState(JSON.stringify(state))).toEqual(state);
    expect(state.merged).toEqual([['2:11:2147483649:17000', 3, 2, 1]]);
    // After the checkpoint: instance 2 goes on, instance 1 counts and publishes 2 more transactions, then crashes.
    t2.record(3, lo, hi, 17_000 * DAY, undefined);
    t1.record(0, lo, hi, 17_000 * DAY, undefined);
    t1.record(0, lo, hi, 17_000 * DAY, undefined);
    await settle([t1, t2]);
    await t1.close();
    tables.splice(tables.indexOf(t1), 1);

    // The restart: scorer state from the snapshot, table from the state, the records after the checkpoint replayed.
    const restart = async (restore: boolean): Promise<Summed> => {
      const m = new Summed(snapshot);
      const t = new TerminalTable(opts(`tt-r1-${restore ? 'restored' : 'lost'}`), m, () => new Set([0, 1]));
      tables.push(t);
      if (restore) t.restore(state);
      t.record(0, lo, hi, 17_000 * DAY, undefined);
      t.record(0, lo, hi, 17_000 * DAY, undefined);
      await t.start();
      await settle([t, t2]);
      return m;
    };
    const restored = await restart(true);
    // Merged = what instance 2 owns, once: 3 tx + 2 labels (1 fraud) of partition 2, 1 tx of partition 3.
    expect(restored.sums.get(key(17_000))).toEqual([4, 2, 1]);
    expect(restored.sums.has(key(17_001)) ? restored.sums.get(key(17_001)) : [0, 0, 0]).toEqual([0, 0, 0]);
    // The count made before the checkpoint and never published is published after the restore.
    expect(m2.sums.get(key(17_001))).toEqual([1, 0, 0]);
    expect(m2.sums.get(key(17_000))).toEqual([6, 0, 0]);
    const lost = await restart(false);
    // Lost state (the table starts from what the replay counts, as before the state was saved): the snapshot's merges
    // of partitions 2 and 3 go in a second time, and partition 0 is published from the replayed 2 transactions, so
    // the topic loses the 4 counted before the checkpoint.
    expect(lost.sums.get(key(17_000))).toEqual([3 + 3 + 1, 2 + 2, 1 + 1]);
    expect(m2.sums.get(key(17_000))).toEqual([2, 0, 0]);
  }, 90_000);

  it('parseTerminalTableState refuses what is not a saved state, saying what is wrong', () => {
    expect(() => parseTerminalTableState('{')).toThrow(/not JSON/);
    expect(() => parseTerminalTableState('{"format":"x"}')).toThrow(/not a fraudstream-terminal-table-1 state/);
    const ok = { format: 'fraudstream-terminal-table-1', topic: 't', own: [['0:1:2:3', 1, 0, 0]], merged: [] };
    expect(parseTerminalTableState(JSON.stringify(ok)).own).toHaveLength(1);
    expect(() => parseTerminalTableState(JSON.stringify({ ...ok, merged: [['0:1:2', 1, 0, 0]]}))).toThrow(/merged\[0\] must be/);
    expect(() => parseTerminalTableState(JSON.stringify({ ...ok, own: [['0:1:2:3', -1, 0, 0]] }))).toThrow(/own\[0\] must be/);
    expect(() => parseTerminalTableState(JSON.stringify({ ...ok, own: 3 }))).toThrow(/own must be a list/);
  });
});
