import { randomUUID } from 'node:crypto';
import { Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import { SerialProducer } from './serial-producer.js';
import { dayOf, KEY_RE, STATE_FORMAT, type TerminalTableEntry, type TerminalTableState } from './terminal-table-state.js';

/** What the table merges into: the scorer's `mergeTerminalDays` (`@fraudstream/scorer`). */
export interface TerminalMergeTarget {
  /** 6 integers per entry: terminal key low and high 32 bits, event day, Δtransactions, Δlabels, Δfraud labels. */
  mergeTerminalDays(entries: number[]): void;
}

/** Counters of a {@link TerminalTable}. */
export interface TerminalTableStats {
  topic: string;
  /** Aggregates this instance published (one per partition, terminal and day that changed) and acknowledged. */
  published: number;
  /** Aggregates read from the table (every instance's, this one's included). */
  received: number;
  /** Merge entries handed to the scorer. */
  merged: number;
  /** Aggregates held: own contributions, the table's latest values, what was merged. */
  keys: number;
  /** True when everything this instance owns is published, the table is read to its end and merged. */
  settled: boolean;
  lastError?: string;
}

/** Days of aggregates kept behind the newest one: the terminals' label rings (31 days + the 7-day label delay) and slack. */
const KEEP_DAYS = 45;
const DAY_MS = 86_400_000;

type Agg = [tx: number, labelled: number, fraud: number];

/**
 * The global terminal table of a Kafka deployment. Terminal features need every instance's transactions and labels
 * of a terminal, but each instance applies only its partitions'. So each instance counts what it applied per
 * (transactions partition, terminal, event day) — transactions, labels, fraud labels — and, every
 * `publishIntervalMs`, publishes the totals of the partitions it owns that changed to `topic` (key
 * `partition:terminal:day`; a compacted topic keeps the latest). Every instance reads the whole topic (a group of
 * its own, from the earliest offset) and merges into its scorer, for each key, max(0, published - its own count)
 * per field, as the change from what it merged before (`Scorer.mergeTerminalDays`): its terminal state then holds,
 * per partition, the larger of its own count and the owner's, which is the owner's once settled.
 *
 * Staleness: a feature reading windows that end `labelDelayDays` back (terminal risk) is exact once every instance
 * has published and merged those days (a few publish intervals, and every instance less than the delay behind in
 * event time); a count over windows that include the current day lags by about the publish interval plus the
 * slowest instance's lag. Not merged: the fraud run (labels in arrival order). A moved partition's new owner replays
 * its transactions and the labels its previous owner applied, so its own totals are the previous owner's again
 * (labels whose transaction is older than the replay window excepted).
 */
export class TerminalTable {
  private readonly own = new Map<string, Agg>();
  private readonly pub = new Map<string, Agg>();
  private readonly merged = new Map<string, Agg>();
  private readonly dirtyOwn = new Set<string>();
  private readonly dirtyMerge = new Set<string>();
  private readonly producer: SerialProducer;
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly next = new Map<number, number>();
  private caughtUp = false;
  private newestDay = -Infinity;
  private prunedAt = -Infinity;
  private published = 0;
  private received = 0;
  private mergedEntries = 0;
  private lastError: string | undefined;
  /** A checkpoint's snapshot is pending: merges wait (their keys stay dirty) so the state matches `merged`. */
  private held = false;
  /** Restored from a checkpoint and not yet read to the topic's end: publishing and merging wait. */
  private restoring = false;
  private restoredOwn: string[] = [];

  constructor(
    private readonly options: { brokers: string[]; topic: string; clientId: string; publishIntervalMs: number },
    private readonly scorer: TerminalMergeTarget,
    /** The transactions partitions this instance owns now. */
    private readonly owned: () => ReadonlySet<number>,
  ) {
    this.producer = new SerialProducer({ clientId: `${options.clientId}-terminal-table`, brokers: options.brokers });
  }

  /** Counts a record this instance applied: a transaction (`labelled` undefined) or a label. */
  record(partition: number, termLo: number, termHi: number, eventMs: number, label: { fraud: boolean } | undefined): void {
    const day = Math.floor(eventMs / DAY_MS);
    if (!Number.isFinite(day)) return;
    if (day > this.newestDay) this.newestDay = day;
    const key = `${partition}:${termLo >>> 0}:${termHi >>> 0}:${day}`;
    let a = this.own.get(key);
    if (a === undefined) {
      a = [0, 0, 0];
      this.own.set(key, a);
    }
    if (label === undefined) a[0]++;
    else {
      a[1]++;
      if (label.fraud) a[2]++;
    }
    this.dirtyOwn.add(key);
    this.dirtyMerge.add(key);
  }

  /** Starts reading the table and the publish-and-merge timer. */
  async start(): Promise<void> {
    const consumer = new Consumer({
      clientId: `${this.options.clientId}-terminal-table`,
      groupId: `${this.options.clientId}.terminal-table.${randomUUID()}`,
      bootstrapBrokers: this.options.brokers,
      autocommit: false,
      maxWaitTime: 200,
      retries: 5,
    });
    this.consumer = consumer;
    let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
    try {
      stream = await consumer.consume({ topics: [this.options.topic], mode: 'earliest', autocommit: false });
    } catch (err) {
      await consumer.close().catch(() => {});
      throw new Error(`the terminal table topic ${this.options.topic} cannot be read (create it first): ${err instanceof Error ? err.message : String(err)}`);
    }
    this.stream = stream;
    stream.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => this.onMessage(m));
    stream.on('error', (err: Error) => {
      this.lastError = `terminal table: ${err.message}`;
    });
    this.timer = setInterval(() => void this.tick(), this.options.publishIntervalMs);
    this.timer.unref();
  }

  private onMessage(m: Message<Buffer, Buffer, Buffer, Buffer>): void {
    this.next.set(m.partition, Number(m.offset) + 1);
    const key = m.key?.toString('utf8') ?? '';
    if (!KEY_RE.test(key)) return;
    let v: unknown;
    try {
      v = JSON.parse(m.value?.toString('utf8') ?? '');
    } catch {
      return;
    }
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 31)) return;
    this.received++;
    this.pub.set(key, v as Agg);
    this.dirtyMerge.add(key);
  }

  /** One publish-and-merge round (also what tests and `close` call). */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      this.prune();
      if (this.restoring && this.caughtUp) this.endRestore();
      // After a restore, what the topic holds (perhaps published after the checkpoint by the run that crashed) must
      // be known before merging, or the first round would take back what the restored state merged.
      if (!this.restoring) {
        await this.publish();
        if (!this.held) this.merge();
      }
      await this.refreshCaughtUp();
    } catch (err) {
      this.lastError = `terminal table: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.ticking = false;
    }
  }

  private async publish(): Promise<void> {
    if (this.dirtyOwn.size === 0) return;
    const owned = this.owned();
    const messages = [];
    for (const key of this.dirtyOwn) {
      // Only the owner's totals go out: a partition that moved away is the new owner's to publish.
      if (!owned.has(Number(key.slice(0, key.indexOf(':'))))) continue;
      messages.push({ topic: this.options.topic, key: Buffer.from(key), value: Buffer.from(JSON.stringify(this.own.get(key))) });
    }
    this.dirtyOwn.clear();
    if (messages.length === 0) return;
    await this.producer.send(messages);
    this.published += messages.length;
  }

  private merge(): void {
    if (this.dirtyMerge.size === 0) return;
    const entries: number[] = [];
    for (const key of this.dirtyMerge) {
      const p = this.pub.get(key);
      const o = this.own.get(key);
      const m = this.merged.get(key) ?? [0, 0, 0];
      const target: Agg = [0, 1, 2].map((i) => Math.max(0, (p?.[i] ?? 0) - (o?.[i] ?? 0))) as Agg;
      if (target[0] === m[0] && target[1] === m[1] && target[2] === m[2]) continue;
      const [, lo, hi, day] = key.split(':').map(Number) as [number, number, number, number];
      entries.push(lo | 0, hi | 0, day, target[0] - m[0], target[1] - m[1], target[2] - m[2]);
      this.merged.set(key, target);
    }
    this.dirtyMerge.clear();
    if (entries.length === 0) return;
    this.scorer.mergeTerminalDays(entries);
    this.mergedEntries += entries.length / 6;
  }

  private async refreshCaughtUp(): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined) return;
    const ends = (await consumer.listOffsets({ topics: [this.options.topic] })).get(this.options.topic) ?? [];
    this.caughtUp = ends.every((end, partition) => (this.next.get(partition) ?? 0) >= Number(end));
  }

  /**
   * The first round after a restore that has read the topic to its end: every restored key is merged again (as the
   * change from the restored `merged`), and the restored own counts the topic does not hold yet (counted before the
   * checkpoint, not published before the crash) are published.
   */
  private endRestore(): void {
    this.restoring = false;
    for (const key of this.restoredOwn) {
      const o = this.own.get(key);
      const p = this.pub.get(key);
      if (o !== undefined && (p === undefined || o.some((x, i) => x > p[i]!))) this.dirtyOwn.add(key);
    }
    this.restoredOwn = [];
  }

  /**
   * Holds merging for a checkpoint, in the synchronous step of its barrier: until {@link release}, nothing is merged
   * into the scorer (changed keys stay dirty), so the snapshot taken when the batches before the barrier are done
   * holds exactly the returned `merged` counts. Returns a copy of them.
   */
  hold(): TerminalTableEntry[] {
    this.held = true;
    return this.entries(this.merged);
  }

  /** Ends a {@link hold} (the snapshot is written, or failed): held merges go in at the next round. */
  release(): void {
    this.held = false;
  }

  /**
   * A copy of this instance's own counts: take it when every decided batch before a checkpoint's barrier has been
   * recorded and none after (they are then exactly what the snapshot holds of this instance's own records).
   */
  ownEntries(): TerminalTableEntry[] {
    return this.entries(this.own);
  }

  /** The state to save with a checkpoint, from {@link hold} and {@link ownEntries}. */
  state(own: TerminalTableEntry[], merged: TerminalTableEntry[]): TerminalTableState {
    return { format: STATE_FORMAT, topic: this.options.topic, own, merged };
  }

  /**
   * Loads a checkpoint's state (before {@link start} and the first record): the scorer was restored with the same
   * checkpoint's snapshot, which holds these own and merged counts. Publishing and merging then wait until the topic
   * is read to its end; the merge of each key goes on from the restored `merged`, so what the others published is
   * counted once, also what they published after the checkpoint.
   */
  restore(state: TerminalTableState): void {
    if (this.consumer !== undefined || this.own.size > 0 || this.merged.size > 0) throw new Error('TerminalTable.restore must come before start and the first record');
    for (const [map, list] of [
      [this.own, state.own],
      [this.merged, state.merged],
    ] as const) {
      for (const [key, tx, labelled, fraud] of list) {
        map.set(key, [tx, labelled, fraud]);
        this.dirtyMerge.add(key);
        const day = dayOf(key);
        if (day > this.newestDay) this.newestDay = day;
      }
    }
    this.restoredOwn = [...this.own.keys()];
    this.restoring = true;
  }

  /** The entries of `map` that are not older than the kept days (what pruning would keep), copied. */
  private entries(map: Map<string, Agg>): TerminalTableEntry[] {
    const oldest = this.newestDay - KEEP_DAYS;
    const out: TerminalTableEntry[] = [];
    for (const [key, a] of map) if (dayOf(key) >= oldest) out.push([key, a[0], a[1], a[2]]);
    return out;
  }

  /** Drops aggregates older than the rings hold (the scorer dropped them too), bounding the maps. */
  private prune(): void {
    if (this.newestDay - this.prunedAt < 1) return;
    this.prunedAt = this.newestDay;
    const oldest = this.newestDay - KEEP_DAYS;
    for (const map of [this.own, this.pub, this.merged]) {
      for (const key of map.keys()) {
        if (dayOf(key) < oldest) map.delete(key);
      }
    }
  }

  /** Counters. */
  stats(): TerminalTableStats {
    return {
      topic: this.options.topic,
      published: this.published,
      received: this.received,
      merged: this.mergedEntries,
      keys: this.own.size + this.pub.size + this.merged.size,
      settled: this.caughtUp && !this.restoring && this.dirtyOwn.size === 0 && this.dirtyMerge.size === 0 && this.producer.pending === 0,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  /** Stops the timer and closes the clients. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.stream?.close().catch(() => {});
    await this.consumer?.close().catch(() => {});
    await this.producer.close().catch(() => {});
  }
}
