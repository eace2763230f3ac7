import { join } from 'node:path';
import { scorerDefaults } from '@fraudstream/scorer';
import { createLogger } from '@fraudstream/server';
import { defaultDataDir, loadOrCreateSecret } from '@fraudstream/store';
import { createKafkaSystem } from '@fraudstream/system';
import { UsageError } from '../args.js';
import type { Resolved } from '../config.js';
import { serve } from './start-settings.js';

/** Help of `fraudstream start --source kafka`. */
export const help = `Usage: fraudstream start --source kafka --brokers HOST:PORT [--config FILE] [options]

Runs one instance of a Kafka-fed deployment: joins the consumer group, decides the JSON transactions of the
partitions Kafka assigns it (key = card id), applies labels from the labels topic, produces every decision to the
decisions topic and REVIEW/DECLINE also to the alerts topic (key = the card's keyed reference, never the card id;
value {"id", "decisionId", "decision", "score", "reasons", "latencyUs", "modelVersion"}), and sends rejected
messages to the dead-letter topic with the reason and the field. Input offsets are committed only once the broker
has acknowledged the decisions of those offsets; a redelivered message gets the same decision id
(topic-partition-offset). Start several on different ports with the same --group to scale out.

Every option is also a key of the TOML file given by --config ([kafka] brokers, group, topic, labels, labels_topic,
decisions_topic, alerts_topic, dlq_topic, session_timeout_ms, commit_interval_ms, exactly_once; [source] from = "kafka" selects this mode) and an
environment variable ('fraudstream config --help' lists them); precedence is flags > environment > file > defaults.

Options:
  --config FILE            TOML config file
  --brokers HOST:PORT      bootstrap brokers, comma-separated (required)
  --group G                consumer group (default fraudstream)
  --topic T                transactions topic (default transactions)
  --labels-topic T         labels topic (default fraud-labels)
  --no-labels              read no labels
  --decisions-topic T      default fraud-decisions
  --alerts-topic T         default fraud-alerts
  --dlq-topic T            dead-letter topic (default transactions-dlq)
  --data-dir DIR           where the card-reference secret lives (DIR/card-ref.key, created on first use; default as
                           for 'start': \$XDG_DATA_HOME/fraudstream or ~/.local/share/fraudstream); the key
                           security.card_ref_secret (env FRAUDSTREAM_CARD_REF_SECRET, 32 to 256 hex digits)
                           overrides it. Every instance of a deployment must use the same secret, or one card's
                           decisions get different keys. Given explicitly (flag, env or config), it also holds this
                           instance's checkpoints (DIR/kafka-checkpoints: scorer state, per-partition offsets and,
                           with --terminal-table, the table's counts):
                           offsets are committed only below the last complete checkpoint, and a restart restores it
                           before deciding. One DIR per instance. The decisions topic is the record of decisions (no
                           decision log here).
  --checkpoint-interval-ms N  time between checkpoints with --data-dir (default 10000)
  --exactly-once           exactly-once output (needs --data-dir): the decisions and alerts of a checkpoint interval
                           go into one Kafka transaction, committed with the input offsets of the checkpoint; the
                           checkpoint is complete only once it committed. A read_committed consumer of the decisions
                           topic sees every decision exactly once, also after a crash (the restart on the same
                           --data-dir aborts the open transaction and resumes from the last checkpoint); decisions
                           become visible a checkpoint interval later. A failed transaction (a rebalance in the
                           middle of one, a lost broker) exits with code 75: restart the instance (systemd
                           Restart=on-failure). The dead-letter topic stays at-least-once.
  --handover replay|none   how a partition that moved here (a rebalance, a crash) gets its cards' state: replay
                           (default) reads its last 32 days below the committed offset into the scorer, decisions
                           suppressed, before deciding anything from it; none starts those cards empty
  --terminal-table T       the global terminal table's topic (compacted, the same for every instance): each instance
                           publishes its partitions' per-terminal per-day counts and merges the others', so terminal
                           features see every instance's transactions and labels (risk windows exactly once settled,
                           current-day counts a publish interval behind); absent, terminal state is per instance.
                           With --data-dir its own and merged counts are saved with each checkpoint and restored,
                           so a restart counts the others' once
  --terminal-table-interval-ms N  how often it is published and merged (default 2000)
  --session-timeout-ms N   how soon the group moves a dead instance's partitions (default 10000)
  --commit-interval-ms N   how often the offsets of acknowledged decisions are committed (default 200; with
                           --data-dir also bounded by the checkpoints, with --exactly-once not used: offsets commit
                           in the transactions). Longer means fewer commits and more decided again after a crash
  --host HOST, --port N, --token TOKEN, --token-file FILE, --workers N, --model FILE, --review X, --decline X,
  --log-level LEVEL, --max-ws-clients N, --webhook URL, --no-start,
  --score-batch N, --score-linger-us N, --score-deadline-ms N, --score-inline-max N, --bulk-max-bytes N,
  --bulk-max-lines N
                           as for 'fraudstream start'. The generator, replay, bundle, rules, checkpoint and case
                           settings do not apply to this mode: setting one is an error naming it.
`;

/** Settings of 'start' that this mode does not use: set anywhere (not left at their default), they are an error. */
const NOT_FOR_KAFKA = ['source.tps', 'source.seed', 'engine.bundle', 'engine.rules', 'data.checkpoint_interval_s', 'data.ephemeral', 'cases.db'];

/** `fraudstream start --source kafka` (or `[source] from = "kafka"`): one instance of a consumer-group deployment, served like `start`. */
export async function run(settings: ReadonlyMap<string, Resolved>): Promise<number> {
  for (const key of NOT_FOR_KAFKA) {
    const r = settings.get(key);
    if (r !== undefined && r.origin !== 'default') throw new UsageError(`${key} (${r.from}) does not apply to --source kafka`);
  }
  const get = <T>(key: string): T | undefined => settings.get(key)?.value as T | undefined;
  const brokers = get<string>('kafka.brokers');
  if (brokers === undefined) throw new UsageError('--brokers is required with --source kafka (config key kafka.brokers)');
  const logger = createLogger({ level: get<'info'>('log.level') ?? 'info' });
  const configuredSecret = get<string>('security.card_ref_secret');
  const cardRefSecret = configuredSecret === undefined ? loadOrCreateSecret(get<string>('data.dir') ?? defaultDataDir()) : Buffer.from(configuredSecret, 'hex');
  const d = scorerDefaults.thresholds;
  const thresholds = { review: get<number>('engine.review') ?? d.review, decline: get<number>('engine.decline') ?? d.decline };
  if (thresholds.review > thresholds.decline) throw new UsageError('engine.review must not be above engine.decline (with the defaults)');
  const workers = get<number>('engine.workers');
  const model = get<string>('engine.model');
  const optional = <T>(key: string, name: string): Record<string, T> => {
    const v = get<T>(key);
    return v === undefined ? {} : { [name]: v };
  };
  // An explicit data dir (flag, env or config; not the default) also holds this instance's checkpoints.
  const dataDir = settings.get('data.dir');
  const checkpointDir = dataDir !== undefined && dataDir.origin !== 'default' && dataDir.value !== undefined ? join(dataDir.value as string, 'kafka-checkpoints') : undefined;
  const interval = settings.get('kafka.checkpoint_interval_ms');
  if (checkpointDir === undefined && interval !== undefined && interval.origin !== 'default') {
    throw new UsageError(`kafka.checkpoint_interval_ms (${interval.from}) needs an explicit data.dir (--data-dir)`);
  }
  const exactlyOnce = settings.get('kafka.exactly_once');
  if (checkpointDir === undefined && exactlyOnce?.value === true) {
    throw new UsageError(`kafka.exactly_once (${exactlyOnce.from}) needs an explicit data.dir (--data-dir): its transactions commit at checkpoints`);
  }
  const system = await createKafkaSystem({
    brokers,
    cardRefSecret,
    thresholds,
    autoStart: false,
    ...optional<string>('kafka.group', 'group'),
    ...optional<string>('kafka.topic', 'topic'),
    ...(get<boolean>('kafka.labels') === false ? { labelsTopic: null } : optional<string>('kafka.labels_topic', 'labelsTopic')),
    ...optional<string>('kafka.decisions_topic', 'decisionsTopic'),
    ...optional<string>('kafka.alerts_topic', 'alertsTopic'),
    ...optional<string>('kafka.dlq_topic', 'deadLetterTopic'),
    ...optional<number>('kafka.session_timeout_ms', 'sessionTimeoutMs'),
    ...optional<number>('kafka.commit_interval_ms', 'commitIntervalMs'),
    ...optional<string>('kafka.handover', 'handover'),
    ...optional<string>('kafka.terminal_table', 'terminalTableTopic'),
    ...optional<number>('kafka.terminal_table_interval_ms', 'terminalTableIntervalMs'),
    ...(checkpointDir === undefined ? {} : { checkpointDir }),
    ...optional<number>('kafka.checkpoint_interval_ms', 'checkpointIntervalMs'),
    ...(exactlyOnce?.value === true
      ? {
          exactlyOnce: true,
          // The open transaction cannot be continued: exit so that a restart resumes from the last checkpoint.
          onFatal: (err: Error) => {
            logger.fatal({ err: err.message }, 'the exactly-once output failed; exiting (75) to restart from the last checkpoint');
            setTimeout(() => process.exit(75), 100);
          },
        }
      : {}),
    ...(workers === undefined ? {} : { workers }),
    ...(model === undefined ? {} : { modelPath: model }),
  });
  if (get<boolean>('source.autostart') !== false) {
    try {
      await system.start();
    } catch (err) {
      await system.close();
      throw err;
    }
  }
  const { server, url, origins } = await serve(system, settings, logger);
  const k = system.kafkaStats();
  logger.info(
    { url, port: server.port, source: 'kafka', topic: k.topic, group: k.group, settingsFrom: origins },
    `fraudstream listening on ${url} (dashboard), stats at ${url}api/stats; consuming ${k.topic} in group ${k.group} from ${k.brokers.join(',')}; Ctrl-C to stop`,
  );
  return -1;
}
