import { join } from 'node:path';
import { scorerDefaults } from '@fraudstream/scorer';
import { installSignalHandlers, startServer } from '@fraudstream/server';
import { defaultDataDir, loadOrCreateSecret } from '@fraudstream/store';
import { createKafkaSystem } from '@fraudstream/system';
import { num, parse, required, UsageError } from '../args.js';

/** Help of `fraudstream start --source kafka`. */
export const help = `Usage: fraudstream start --source kafka --brokers HOST:PORT [options]

Runs one instance of a Kafka-fed deployment: joins the consumer group, decides the JSON transactions of the
partitions Kafka assigns it (key = card id), applies labels from the labels topic, produces every decision to the
decisions topic and REVIEW/DECLINE also to the alerts topic (key = the card's keyed reference, never the card id;
value {"id", "decisionId", "decision", "score", "reasons", "latencyUs", "modelVersion"}), and sends rejected
messages to the dead-letter topic with the reason and the field. Input offsets are committed only once the broker
has acknowledged the decisions of those offsets; a redelivered message gets the same decision id
(topic-partition-offset). Start several on different ports with the same --group to scale out.

Options:
  --brokers HOST:PORT      bootstrap brokers, comma-separated (required)
  --group G                consumer group (default fraudstream)
  --topic T                transactions topic (default transactions)
  --labels-topic T         labels topic (default fraud-labels)
  --no-labels              read no labels
  --decisions-topic T      default fraud-decisions
  --alerts-topic T         default fraud-alerts
  --dlq-topic T            dead-letter topic (default transactions-dlq)
  --data-dir DIR           where the card-reference secret lives (DIR/card-ref.key, created on first use; default as
                           for 'start': \$XDG_DATA_HOME/fraudstream or ~/.local/share/fraudstream); env
                           FRAUDSTREAM_CARD_REF_SECRET (hex, >= 32 digits) overrides it. Every instance of a
                           deployment must use the same secret, or one card's decisions get different keys. Given
                           explicitly, it also holds this instance's checkpoints (DIR/kafka-checkpoints: scorer
                           state and per-partition offsets): offsets are committed only below the last complete
                           checkpoint, and a restart restores it before deciding. One DIR per instance. The
                           decisions topic is the record of decisions (no decision log here).
  --checkpoint-interval-ms N  time between checkpoints with --data-dir (default 10000)
  --handover replay|none   how a partition that moved here (a rebalance, a crash) gets its cards' state: replay
                           (default) reads its last 32 days below the committed offset into the scorer, decisions
                           suppressed, before deciding anything from it; none starts those cards empty
  --terminal-table T       the global terminal table's topic (compacted, the same for every instance): each instance
                           publishes its partitions' per-terminal per-day counts and merges the others', so terminal
                           features see every instance's transactions and labels (risk windows exactly once settled,
                           current-day counts a publish interval behind); absent, terminal state is per instance
  --terminal-table-interval-ms N  how often it is published and merged (default 2000)
  --session-timeout-ms N   how soon the group moves a dead instance's partitions (default 10000)
  --host HOST, --port N, --token TOKEN, --workers N, --model FILE, --review X, --decline X, --no-start
                           as for 'fraudstream start'
`;

/** Reads the card-reference secret: env FRAUDSTREAM_CARD_REF_SECRET (hex) or DIR/card-ref.key. */
function cardRefSecret(dataDir: string): Buffer {
  const env = process.env['FRAUDSTREAM_CARD_REF_SECRET'];
  if (env !== undefined && env !== '') {
    if (!/^(?:[0-9a-fA-F]{2}){16,}$/.test(env)) throw new UsageError('FRAUDSTREAM_CARD_REF_SECRET must be at least 32 hex digits');
    return Buffer.from(env, 'hex');
  }
  return loadOrCreateSecret(dataDir);
}

/** `fraudstream start --source kafka`: one instance of a consumer-group deployment, served like `start`. */
export async function run(argv: string[]): Promise<number> {
  const a = parse(argv, {
    source: { type: 'string' },
    brokers: { type: 'string' },
    group: { type: 'string' },
    topic: { type: 'string' },
    'labels-topic': { type: 'string' },
    'no-labels': { type: 'boolean' },
    'decisions-topic': { type: 'string' },
    'alerts-topic': { type: 'string' },
    'dlq-topic': { type: 'string' },
    'data-dir': { type: 'string' },
    'checkpoint-interval-ms': { type: 'string' },
    'session-timeout-ms': { type: 'string' },
    handover: { type: 'string' },
    'terminal-table': { type: 'string' },
    'terminal-table-interval-ms': { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    token: { type: 'string' },
    workers: { type: 'string' },
    model: { type: 'string' },
    review: { type: 'string' },
    decline: { type: 'string' },
    'no-start': { type: 'boolean' },
  });
  if (a.help === true) {
    process.stdout.write(help);
    return 0;
  }
  if (a.source !== 'kafka') throw new UsageError('--source must be kafka here');
  const brokers = required(a.brokers, 'brokers');
  if (a['no-labels'] === true && a['labels-topic'] !== undefined) throw new UsageError('--labels-topic and --no-labels exclude each other');
  const str = (flag: keyof typeof a): string | undefined => {
    const v = a[flag];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new UsageError(`--${flag} must not be empty`);
    return v;
  };
  const host = typeof a.host === 'string' ? a.host : (process.env.HOST ?? '127.0.0.1');
  const port = num(a.port ?? process.env.PORT, 'port', 0, 65535, 8080);
  const token = typeof a.token === 'string' ? a.token : process.env.FRAUDSTREAM_TOKEN;
  const workers = a.workers === undefined ? undefined : num(a.workers, 'workers', 1, 64, 1);
  const d = scorerDefaults.thresholds;
  const thresholds = { review: num(a.review, 'review', 0, 1, d.review, false), decline: num(a.decline, 'decline', 0, 1, d.decline, false) };
  if (thresholds.review > thresholds.decline) throw new UsageError('--review must not be above --decline');
  const group = str('group');
  const topic = str('topic');
  const labelsTopic = a['no-labels'] === true ? null : str('labels-topic');
  const decisionsTopic = str('decisions-topic');
  const alertsTopic = str('alerts-topic');
  const deadLetterTopic = str('dlq-topic');
  const sessionTimeoutMs = a['session-timeout-ms'] === undefined ? undefined : num(a['session-timeout-ms'], 'session-timeout-ms', 1000, 3_600_000, 10_000);
  const handover = str('handover');
  const dataDir = str('data-dir');
  const terminalTableTopic = str('terminal-table');
  const terminalTableIntervalMs =
    a['terminal-table-interval-ms'] === undefined ? undefined : num(a['terminal-table-interval-ms'], 'terminal-table-interval-ms', 50, 3_600_000, 2000);
  if (a['checkpoint-interval-ms'] !== undefined && dataDir === undefined) throw new UsageError('--checkpoint-interval-ms needs --data-dir');
  const checkpointIntervalMs =
    a['checkpoint-interval-ms'] === undefined ? undefined : num(a['checkpoint-interval-ms'], 'checkpoint-interval-ms', 50, 86_400_000, 10_000);
  if (handover !== undefined && handover !== 'replay' && handover !== 'none') throw new UsageError('--handover must be replay or none');
  const system = await createKafkaSystem({
    brokers,
    cardRefSecret: cardRefSecret(dataDir ?? defaultDataDir()),
    ...(dataDir === undefined ? {} : { checkpointDir: join(dataDir, 'kafka-checkpoints') }),
    ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }),
    thresholds,
    autoStart: false,
    ...(group === undefined ? {} : { group }),
    ...(topic === undefined ? {} : { topic }),
    ...(labelsTopic === undefined ? {} : { labelsTopic }),
    ...(decisionsTopic === undefined ? {} : { decisionsTopic }),
    ...(alertsTopic === undefined ? {} : { alertsTopic }),
    ...(deadLetterTopic === undefined ? {} : { deadLetterTopic }),
    ...(sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs }),
    ...(handover === undefined ? {} : { handover }),
    ...(terminalTableTopic === undefined ? {} : { terminalTableTopic }),
    ...(terminalTableIntervalMs === undefined ? {} : { terminalTableIntervalMs }),
    ...(workers === undefined ? {} : { workers }),
    ...(typeof a.model === 'string' ? { modelPath: a.model } : {}),
  });
  let server;
  try {
    if (a['no-start'] !== true) await system.start();
    server = await startServer({ system, host, port, ...(token === undefined ? {} : { token }) });
  } catch (err) {
    await system.close();
    throw err;
  }
  installSignalHandlers(server);
  const url = `http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}/`;
  const k = system.kafkaStats();
  process.stdout.write(
    `fraudstream listening on ${url} (dashboard), stats at ${url}api/stats; consuming ${k.topic} ` +
      `in group ${k.group} from ${k.brokers.join(',')}; Ctrl-C to stop\n`,
  );
  return -1;
}
