import { CsvFeed, DEFAULT_TOPICS, MAX_PRODUCE_TPS, produceFeed, SimulatedFeed, type TransactionFeed } from '@fraudstream/kafka';
import { num, parse, required, UsageError } from '../args.js';

export const help = `Usage: fraudstream produce --brokers HOST:PORT --topic T [options]

The load generator for Kafka: sends JSON transactions (the schema the server and the Kafka source validate;
key = card id) to a topic at a paced rate, and each transaction's label ({"id", "fraud"}; key = the card id)
to the labels topic once its delay has passed in event time. When it stops (--count reached, the file ended, or
SIGINT/SIGTERM) the labels still waiting are sent too. Every message is acknowledged by the broker (idempotent
producer, acks from all in-sync replicas) before the command exits 0; it prints what it sent, and the rate at which
the transactions were offered (the labels sent at the end are not part of it).

Options:
  --brokers HOST:PORT    bootstrap brokers, comma-separated (required)
  --topic T              transactions topic (required; the usual one is ${DEFAULT_TOPICS.transactions})
  --tps N|max            transactions per second, 1 to ${MAX_PRODUCE_TPS.toLocaleString('en')}, or max (default 1000)
  --source S             generator (default: the simulator, as 'generate' and 'start' use it) or replay:FILE (a CSV
                         in the interchange format, e.g. written by 'generate'; bad rows are counted, not sent)
  --count N              stop after N transactions (default: forever for the generator, the whole file for a replay)
  --labels-topic T       labels topic (default ${DEFAULT_TOPICS.labels})
  --no-labels            send no labels
  --label-delay-days D   label delay in event time (default 7)
  --customers N          simulated cards (default 5000)
  --terminals N          simulated terminals (default 10000)
  --start DATE           first simulated day, YYYY-MM-DD (default 2018-04-01)
  --seed N               simulator seed (default 0)
  --batch N              messages per produce request (default 1000)
`;

export async function run(argv: string[]): Promise<number> {
  const a = parse(argv, {
    brokers: { type: 'string' },
    topic: { type: 'string' },
    tps: { type: 'string' },
    source: { type: 'string' },
    count: { type: 'string' },
    'labels-topic': { type: 'string' },
    'no-labels': { type: 'boolean' },
    'label-delay-days': { type: 'string' },
    customers: { type: 'string' },
    terminals: { type: 'string' },
    start: { type: 'string' },
    seed: { type: 'string' },
    batch: { type: 'string' },
  });
  if (a.help === true) {
    process.stdout.write(help);
    return 0;
  }
  const brokers = required(a.brokers, 'brokers');
  const topic = required(a.topic, 'topic');
  const tps = a.tps === undefined || a.tps === 'max' ? (a.tps === 'max' ? 'max' : 1000) : num(a.tps, 'tps', 1, MAX_PRODUCE_TPS, 1000);
  const count = a.count === undefined ? undefined : num(a.count, 'count', 1, Number.MAX_SAFE_INTEGER, 1);
  const noLabels = a['no-labels'] === true;
  if (noLabels && a['labels-topic'] !== undefined) throw new UsageError('--labels-topic and --no-labels exclude each other');
  const labelsTopic = noLabels ? null : typeof a['labels-topic'] === 'string' ? a['labels-topic'] : DEFAULT_TOPICS.labels;
  const labelDelayDays = num(a['label-delay-days'], 'label-delay-days', 0, 3650, 7, false);
  const batch = num(a.batch, 'batch', 1, 100_000, 1000);
  const source = typeof a.source === 'string' ? a.source : 'generator';
  const labelOptions = { labels: !noLabels, labelDelayDays };
  let feed: TransactionFeed;
  if (source === 'generator') {
    if (a.start !== undefined && (typeof a.start !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(a.start))) {
      throw new UsageError('--start must be a date YYYY-MM-DD');
    }
    feed = new SimulatedFeed({
      ...labelOptions,
      customers: num(a.customers, 'customers', 1, 10_000_000, 5000),
      terminals: num(a.terminals, 'terminals', 1, 10_000_000, 10_000),
      seed: num(a.seed, 'seed', 0, 2 ** 32 - 1, 0),
      ...(typeof a.start === 'string' ? { start: a.start } : {}),
    });
  } else if (source.startsWith('replay:') && source.length > 'replay:'.length) {
    for (const flag of ['customers', 'terminals', 'start', 'seed'] as const) {
      if (a[flag] !== undefined) throw new UsageError(`--${flag} applies to --source generator only`);
    }
    feed = new CsvFeed(source.slice('replay:'.length), labelOptions);
  } else {
    throw new UsageError('--source must be generator or replay:FILE');
  }

  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = process.stderr.isTTY === true;
  try {
    const r = await produceFeed({
      brokers,
      topic,
      labelsTopic,
      feed,
      tps,
      batch,
      signal: controller.signal,
      ...(count === undefined ? {} : { count }),
      ...(progress
        ? { onProgress: (s) => process.stderr.write(`\r${s.transactions} transactions, ${s.labels} labels, ${s.seconds.toFixed(0)} s   `) }
        : {}),
    });
    if (progress) process.stderr.write('\n');
    const rate = r.offeredSeconds > 0 ? Math.round(r.transactions / r.offeredSeconds) : 0;
    process.stdout.write(
      `produced ${r.transactions} transactions to ${topic} and ${r.labels} labels` +
        `${labelsTopic === null ? '' : ` to ${labelsTopic}`} in ${r.seconds.toFixed(1)} s ` +
        `(transactions offered at ${rate} tx/s over ${r.offeredSeconds.toFixed(1)} s)` +
        `${r.rejected > 0 ? `; ${r.rejected} input rows rejected: ${JSON.stringify(Object.fromEntries(feed.rejected.byField))}` : ''}\n`,
    );
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
