import { PacingSchedule } from '@fraudstream/sources';
import { brokerList, integerOption, KafkaOptionsRangeError, KafkaOptionsTypeError, stringOption, topicName } from './errors.js';
import { SerialProducer } from './serial-producer.js';
import type { TransactionFeed } from './transaction-feeds.js';
import type { JsonMessage } from './transaction-json.js';

/** Highest paced rate, messages per second (`'max'` is unpaced). */
export const MAX_PRODUCE_TPS = 5_000_000;

/** Options of {@link produceFeed}. */
export interface ProduceFeedOptions {
  /** Bootstrap brokers: `HOST:PORT`, a comma-separated list or an array. */
  brokers: string | string[];
  /** Transactions topic. */
  topic: string;
  /** Labels topic; `null` sends no labels. */
  labelsTopic: string | null;
  /** Where the transactions come from. */
  feed: TransactionFeed;
  /** Transactions per second (1 .. 5,000,000) or 'max' (as fast as the broker acknowledges). */
  tps: number | 'max';
  /** Stop after this many transactions (default: when the feed ends; the simulator never does). */
  count?: number;
  /** Transactions read from the feed at once (default 1000). */
  batch?: number;
  /** Messages queued for the broker before reading more from the feed (default 50,000). */
  maxPending?: number;
  /** Client id (default `fraudstream-produce`). */
  clientId?: string;
  /** Stops producing (then the labels still pending are sent and the call resolves). */
  signal?: AbortSignal;
  /** Called about once a second with the figures so far. */
  onProgress?: (stats: ProduceFeedStats) => void;
}

/** What {@link produceFeed} sent (acknowledged by the broker). */
export interface ProduceFeedStats {
  transactions: number;
  labels: number;
  /** Input rows rejected by the feed (a replay's bad rows). */
  rejected: number;
  /** Seconds until the last transaction was handed to the producer (the paced part). */
  offeredSeconds: number;
  /** Seconds until everything, the labels sent at the end included, was acknowledged. */
  seconds: number;
}

/**
 * Sends a feed's transactions (key = card id) to `topic` at `tps`, and their labels (key = the card id, so a label lands in its transaction's partition number) to
 * `labelsTopic` once their delay has passed in event time; at the end (the count reached, the feed ended or the
 * signal aborted) every label still waiting is sent. Idempotent producer (acks from all in-sync replicas), one
 * request in flight carrying everything queued meanwhile. Resolves when the broker has acknowledged everything.
 */
export async function produceFeed(options: ProduceFeedOptions): Promise<ProduceFeedStats> {
  if (typeof options !== 'object' || options === null) throw new KafkaOptionsTypeError('options must be an object');
  const brokers = brokerList(options.brokers, 'options.brokers');
  const topic = topicName(options.topic, 'options.topic');
  const labelsTopic = options.labelsTopic === null ? null : topicName(options.labelsTopic, 'options.labelsTopic');
  const rate = options.tps === 'max' ? Infinity : options.tps;
  if (typeof rate !== 'number' || !(rate >= 1 && (rate <= MAX_PRODUCE_TPS || rate === Infinity))) {
    throw new KafkaOptionsRangeError(`options.tps must be 'max' or a number from 1 to ${MAX_PRODUCE_TPS}`);
  }
  const count = options.count === undefined ? Infinity : integerOption(options.count, 'options.count', 1, Number.MAX_SAFE_INTEGER);
  const batch = integerOption(options.batch ?? 1000, 'options.batch', 1, 100_000);
  const maxPending = integerOption(options.maxPending ?? 50_000, 'options.maxPending', 1, 10_000_000);
  const clientId = stringOption(options.clientId ?? 'fraudstream-produce', 'options.clientId');
  const feed = options.feed;

  const producer = new SerialProducer({ clientId, brokers });
  const stats: ProduceFeedStats = { transactions: 0, labels: 0, rejected: 0, offeredSeconds: 0, seconds: 0 };
  const t0 = performance.now();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const send = async (msgs: JsonMessage[], to: string, kind: 'transactions' | 'labels'): Promise<void> => {
    if (msgs.length === 0) return;
    while (producer.pending >= maxPending && inFlight.size > 0) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
    const messages = msgs.map((m) => ({ topic: to, key: Buffer.from(m.key), value: Buffer.from(m.value) }));
    const p: Promise<void> = producer.send(messages).then(
      () => {
        stats[kind] += messages.length;
        inFlight.delete(p);
      },
      (err: unknown) => {
        failure ??= err;
        inFlight.delete(p);
      },
    );
    inFlight.add(p);
  };

  // The load generator keeps its schedule (a late send is owed, not skipped), re-basing only 5 s behind.
  const pacing = new PacingSchedule(rate);
  pacing.start(performance.now());
  let lastProgress = performance.now();
  let offered = 0;
  try {
    while (offered < count && options.signal?.aborted !== true) {
      const t = performance.now();
      const budget = Math.min(pacing.due(t), batch, count - offered);
      if (budget < 1) {
        await sleep(Math.max(1, pacing.msUntil(Math.min(pacing.quantum(), count - offered), t)));
        continue;
      }
      const txs: JsonMessage[] = [];
      const labels: JsonMessage[] = [];
      const n = await feed.next(budget, txs, labels);
      pacing.take(n);
      offered += n;
      await send(txs, topic, 'transactions');
      if (labelsTopic !== null) await send(labels, labelsTopic, 'labels');
      if (n === 0) break;
      const now = performance.now();
      if (options.onProgress !== undefined && now - lastProgress >= 1000) {
        lastProgress = now;
        options.onProgress({ ...stats, rejected: feed.rejected.total, seconds: (now - t0) / 1000 });
      }
    }
    stats.offeredSeconds = (performance.now() - t0) / 1000;
    if (labelsTopic !== null) {
      const rest: JsonMessage[] = [];
      feed.flushLabels(rest);
      for (let i = 0; i < rest.length; i += batch) await send(rest.slice(i, i + batch), labelsTopic, 'labels');
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
  } finally {
    feed.close();
    await producer.close().catch(() => {});
  }
  stats.rejected = feed.rejected.total;
  stats.seconds = (performance.now() - t0) / 1000;
  return stats;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
