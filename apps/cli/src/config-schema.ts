/**
 * The one schema of `fraudstream start`'s settings: every key of the config file (`[table] key`), with its flag, its
 * environment variables and its parser. The file, the environment and the flags all go through the same parser, so a
 * value means the same wherever it is set.
 */
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from '@fraudstream/system';

/** Why a value was refused (the caller adds the key and where the value came from). */
export class SettingValueError extends Error {
  override name = 'SettingValueError';
}

/** One setting. */
export interface Setting {
  /** `table.key` as in the config file, e.g. `server.port`. */
  key: string;
  /** The `start` flag without `--`, when the setting has one (secrets have none: argv is visible to every user). */
  flag?: string;
  /** Other names of the flag. */
  flagAliases?: readonly string[];
  /** For a switch (a flag without a value, e.g. `--no-start`): the value it sets. */
  switchValue?: unknown;
  /** Environment variables, first found wins (`FRAUDSTREAM_*`, then any historical alias). */
  env: readonly string[];
  /** One line for `--help` and the docs. */
  help: string;
  /** The default, or undefined when unset means "let the component decide". */
  default?: unknown;
  /** Parses a value: `text` is true for flags and env (always strings), false for the TOML file (typed values). */
  parse(value: unknown, text: boolean): unknown;
}

function int(min: number, max: number) {
  return (value: unknown, text: boolean): number => {
    const v = text && typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new SettingValueError(`must be an integer from ${min} to ${max}`);
    }
    return v;
  };
}

function real(min: number, max: number) {
  return (value: unknown, text: boolean): number => {
    const v = text && typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new SettingValueError(`must be a number from ${min} to ${max}`);
    return v;
  };
}

function str(maxLength: number, pattern?: RegExp, what = 'a string') {
  return (value: unknown): string => {
    if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || (pattern !== undefined && !pattern.test(value))) {
      throw new SettingValueError(`must be ${what} of 1 to ${maxLength} characters`);
    }
    return value;
  };
}

function bool(value: unknown, text: boolean): boolean {
  if (typeof value === 'boolean') return value;
  if (text && (value === 'true' || value === '1')) return true;
  if (text && (value === 'false' || value === '0')) return false;
  throw new SettingValueError('must be true or false');
}

function oneOf<T extends string>(values: readonly T[]) {
  return (value: unknown): T => {
    if (typeof value !== 'string' || !values.includes(value as T)) throw new SettingValueError(`must be one of ${values.join(', ')}`);
    return value as T;
  };
}

/** `generator`, `replay:FILE` or `kafka`. */
function sourceSpec(value: unknown): string {
  if (typeof value !== 'string' || !(value === 'generator' || value === 'kafka' || (value.startsWith('replay:') && value.length > 7 && value.length <= 4096))) {
    throw new SettingValueError('must be generator, replay:FILE.csv or kafka');
  }
  return value;
}

/** A rate 1..5,000,000 or `max` (replay only; checked with the source). */
function tps(value: unknown, text: boolean): number | 'max' {
  if (value === 'max') return 'max';
  try {
    return int(1, 5_000_000)(value, text);
  } catch {
    throw new SettingValueError('must be an integer from 1 to 5000000, or max');
  }
}

/** An http(s) URL. */
function url(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) throw new SettingValueError('must be an http or https URL');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new SettingValueError('must be an http or https URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new SettingValueError('must be an http or https URL');
  return value;
}

/** Every setting of `start`. */
export const SETTINGS: readonly Setting[] = [
  { key: 'server.host', flag: 'host', env: ['FRAUDSTREAM_HOST', 'HOST'], default: '127.0.0.1', help: 'address to bind; a non-loopback address needs a token', parse: str(255) },
  { key: 'server.port', flag: 'port', env: ['FRAUDSTREAM_PORT', 'PORT'], default: 8080, help: 'port (0 picks a free one)', parse: int(0, 65_535) },
  { key: 'server.token', flag: 'token', env: ['FRAUDSTREAM_TOKEN'], help: 'bearer token for POST routes, /metrics and /ws (prefer token_file or the env)', parse: str(4096, /^[\x21-\x7e]+$/, 'printable ASCII without spaces') },
  { key: 'server.token_file', flag: 'token-file', env: ['FRAUDSTREAM_TOKEN_FILE'], help: 'file holding the bearer token (its first line)', parse: str(4096) },
  { key: 'server.max_ws_clients', flag: 'max-ws-clients', env: ['FRAUDSTREAM_MAX_WS_CLIENTS'], default: 64, help: 'most WebSocket clients at once', parse: int(1, 100_000) },
  { key: 'source.from', flag: 'source', env: ['FRAUDSTREAM_SOURCE'], default: 'generator', help: 'generator, replay:FILE.csv or kafka (the kafka.* keys)', parse: sourceSpec },
  { key: 'source.tps', flag: 'tps', env: ['FRAUDSTREAM_TPS'], default: 1000, help: 'generator / replay rate, tx/s (replay also max)', parse: tps },
  { key: 'source.seed', flag: 'seed', env: ['FRAUDSTREAM_SEED'], default: 0, help: 'generator seed', parse: int(0, 2 ** 32 - 1) },
  { key: 'source.autostart', flag: 'no-start', switchValue: false, env: ['FRAUDSTREAM_AUTOSTART'], default: true, help: 'start the source at once (--no-start: wait for POST /api/system/start)', parse: bool },
  { key: 'engine.workers', flag: 'workers', env: ['FRAUDSTREAM_WORKERS'], help: 'scoring worker threads (default one per core)', parse: int(1, 64) },
  { key: 'engine.model', flag: 'model', env: ['FRAUDSTREAM_MODEL'], help: 'XGBoost JSON model (default models/default.json)', parse: str(4096) },
  { key: 'engine.bundle', flag: 'bundle', env: ['FRAUDSTREAM_BUNDLE'], help: 'decision bundle (JSON: model, thresholds, rules, lists) made live over model/review/decline', parse: str(4096) },
  { key: 'engine.challenger', flag: 'challenger', env: ['FRAUDSTREAM_CHALLENGER'], help: 'decision bundle scored in shadow beside the live one, compared live, never acted on', parse: str(4096) },
  { key: 'engine.rules', flag: 'rules', env: ['FRAUDSTREAM_RULES'], help: 'rules file made live at start and again each time it is saved', parse: str(4096) },
  { key: 'engine.review', flag: 'review', env: ['FRAUDSTREAM_REVIEW'], help: 'score at or above which a transaction is REVIEWed', parse: real(0, 1) },
  { key: 'engine.decline', flag: 'decline', env: ['FRAUDSTREAM_DECLINE'], help: 'score at or above which it is DECLINEd (review <= decline)', parse: real(0, 1) },
  { key: 'data.dir', flag: 'data-dir', env: ['FRAUDSTREAM_DATA_DIR'], help: 'decision log, checkpoints and the card-reference secret (default $XDG_DATA_HOME/fraudstream or ~/.local/share/fraudstream)', parse: str(4096) },
  { key: 'data.checkpoint_interval_s', flag: 'checkpoint-interval', env: ['FRAUDSTREAM_CHECKPOINT_INTERVAL'], default: DEFAULT_CHECKPOINT_INTERVAL_MS / 1000, help: 'seconds between checkpoints', parse: real(0.05, 86_400) },
  { key: 'data.feature_log_sample', flag: 'feature-log-sample', env: ['FRAUDSTREAM_FEATURE_LOG_SAMPLE'], default: 0.02, help: 'share of approvals whose served features are logged for train --from-log (alerts always are; 0 to 1)', parse: real(0, 1) },
  { key: 'data.label_log', flag: 'label-log', env: ['FRAUDSTREAM_LABEL_LOG'], default: 'fraud', help: "labels from the stream kept in the label log: fraud (the frauds) or all", parse: oneOf(['fraud', 'all']) },
  { key: 'data.ephemeral', flag: 'ephemeral', flagAliases: ['no-data-dir'], switchValue: true, env: ['FRAUDSTREAM_EPHEMERAL'], default: false, help: 'keep nothing on disk (no decision log, checkpoints or recovery)', parse: bool },
  { key: 'cases.enabled', flag: 'no-cases', switchValue: false, env: ['FRAUDSTREAM_CASES'], default: true, help: 'open cases for REVIEW and DECLINE decisions in the data dir (--no-cases: none)', parse: bool },
  { key: 'cases.db', flag: 'db', env: ['FRAUDSTREAM_DB'], help: 'postgres://USER:PASS@HOST:PORT/DB[?schema=NAME]: keep the cases in PostgreSQL (prefer the env: argv is visible to all)', parse: str(4096, /^postgres(ql)?:\/\//, 'a postgres:// URL') },
  { key: 'security.card_ref_secret', env: ['FRAUDSTREAM_CARD_REF_SECRET'], help: 'card-reference key, 32 to 256 hex digits (default: generated into data.dir)', parse: str(256, /^(?:[0-9a-fA-F]{2}){16,128}$/, 'an even number of hex digits (32 to 256)') },
  { key: 'log.level', flag: 'log-level', env: ['FRAUDSTREAM_LOG_LEVEL'], default: 'info', help: 'fatal, error, warn, info, debug, trace or silent', parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) },
  { key: 'scoring.batch', flag: 'score-batch', env: ['FRAUDSTREAM_SCORE_BATCH'], default: 256, help: 'most /v1/score requests cut into one micro-batch', parse: int(1, 8192) },
  { key: 'scoring.linger_us', flag: 'score-linger-us', env: ['FRAUDSTREAM_SCORE_LINGER_US'], default: 0, help: 'how long the first request of a micro-batch waits for others, microseconds (0: the end of the event-loop turn)', parse: int(0, 10_000_000) },
  { key: 'scoring.deadline_ms', flag: 'score-deadline-ms', env: ['FRAUDSTREAM_SCORE_DEADLINE_MS'], default: 50, help: '/v1/score deadline, ms: past it the fallback REVIEW/DEADLINE is answered and counted (0: always)', parse: int(0, 60_000) },
  { key: 'scoring.inline_max_batch', flag: 'score-inline-max', env: ['FRAUDSTREAM_SCORE_INLINE_MAX'], default: 64, help: 'largest micro-batch scored on the main thread when no batch is in flight (0: always a worker thread)', parse: int(0, 8192) },
  { key: 'scoring.bulk_max_bytes', flag: 'bulk-max-bytes', env: ['FRAUDSTREAM_BULK_MAX_BYTES'], default: 64 * 1024 * 1024, help: 'largest /v1/transactions body, bytes', parse: int(1024, 2 ** 31) },
  { key: 'scoring.bulk_max_lines', flag: 'bulk-max-lines', env: ['FRAUDSTREAM_BULK_MAX_LINES'], default: 1_000_000, help: 'most lines in one /v1/transactions body', parse: int(1, 100_000_000) },
  { key: 'kafka.brokers', flag: 'brokers', env: ['FRAUDSTREAM_KAFKA_BROKERS'], help: 'bootstrap brokers HOST:PORT, comma-separated (source kafka; required there)', parse: str(4096, /^[^\s,]+(,[^\s,]+)*$/, 'HOST:PORT[,HOST:PORT...]') },
  { key: 'kafka.group', flag: 'group', env: ['FRAUDSTREAM_KAFKA_GROUP'], help: 'consumer group (default fraudstream)', parse: str(255) },
  { key: 'kafka.topic', flag: 'topic', env: ['FRAUDSTREAM_KAFKA_TOPIC'], help: 'transactions topic (default transactions)', parse: str(249) },
  { key: 'kafka.labels', flag: 'no-labels', switchValue: false, env: ['FRAUDSTREAM_KAFKA_LABELS'], default: true, help: 'read the labels topic (--no-labels: read none)', parse: bool },
  { key: 'kafka.labels_topic', flag: 'labels-topic', env: ['FRAUDSTREAM_KAFKA_LABELS_TOPIC'], help: 'labels topic (default fraud-labels)', parse: str(249) },
  { key: 'kafka.decisions_topic', flag: 'decisions-topic', env: ['FRAUDSTREAM_KAFKA_DECISIONS_TOPIC'], help: 'decisions topic (default fraud-decisions)', parse: str(249) },
  { key: 'kafka.alerts_topic', flag: 'alerts-topic', env: ['FRAUDSTREAM_KAFKA_ALERTS_TOPIC'], help: 'alerts topic (default fraud-alerts)', parse: str(249) },
  { key: 'kafka.dlq_topic', flag: 'dlq-topic', env: ['FRAUDSTREAM_KAFKA_DLQ_TOPIC'], help: 'dead-letter topic (default transactions-dlq)', parse: str(249) },
  { key: 'kafka.session_timeout_ms', flag: 'session-timeout-ms', env: ['FRAUDSTREAM_KAFKA_SESSION_TIMEOUT_MS'], help: "how soon the group moves a dead instance's partitions (default 10000)", parse: int(1000, 3_600_000) },
  { key: 'kafka.commit_interval_ms', flag: 'commit-interval-ms', env: ['FRAUDSTREAM_KAFKA_COMMIT_INTERVAL_MS'], help: 'how often offsets of acknowledged decisions are committed, ms (default 200)', parse: int(10, 60_000) },
  { key: 'kafka.handover', flag: 'handover', env: ['FRAUDSTREAM_KAFKA_HANDOVER'], help: "how a partition that moved here gets its cards' state: replay (default) or none", parse: oneOf(['replay', 'none']) },
  { key: 'kafka.terminal_table', flag: 'terminal-table', env: ['FRAUDSTREAM_KAFKA_TERMINAL_TABLE'], help: 'compacted topic of the global terminal table (absent: terminal state per instance)', parse: str(249) },
  { key: 'kafka.terminal_table_interval_ms', flag: 'terminal-table-interval-ms', env: ['FRAUDSTREAM_KAFKA_TERMINAL_TABLE_INTERVAL_MS'], help: 'how often the terminal table is published and merged, ms (default 2000)', parse: int(50, 3_600_000) },
  { key: 'kafka.checkpoint_interval_ms', flag: 'checkpoint-interval-ms', env: ['FRAUDSTREAM_KAFKA_CHECKPOINT_INTERVAL_MS'], help: 'time between Kafka-mode checkpoints with an explicit data.dir, ms (default 10000)', parse: int(50, 86_400_000) },
  { key: 'kafka.exactly_once', flag: 'exactly-once', switchValue: true, env: ['FRAUDSTREAM_KAFKA_EXACTLY_ONCE'], default: false, help: 'Kafka transactions for the decisions, committed with the input offsets at each checkpoint (needs an explicit data.dir)', parse: bool },
  { key: 'webhook.url', flag: 'webhook', env: ['FRAUDSTREAM_WEBHOOK_URL'], help: 'POST alerts to this URL (Slack-compatible JSON)', parse: url },
  { key: 'webhook.batch', flag: 'webhook-batch', env: ['FRAUDSTREAM_WEBHOOK_BATCH'], default: 20, help: 'most alerts per message', parse: int(1, 100) },
  { key: 'webhook.interval_ms', flag: 'webhook-interval-ms', env: ['FRAUDSTREAM_WEBHOOK_INTERVAL_MS'], default: 1000, help: 'gather alerts this long before sending', parse: int(10, 3_600_000) },
  { key: 'webhook.max_per_minute', flag: 'webhook-max-per-minute', env: ['FRAUDSTREAM_WEBHOOK_MAX_PER_MINUTE'], default: 30, help: 'most messages a minute (token bucket)', parse: int(1, 6000) },
  { key: 'webhook.retries', flag: 'webhook-retries', env: ['FRAUDSTREAM_WEBHOOK_RETRIES'], default: 5, help: 'retries of a failed message, with exponential backoff', parse: int(0, 20) },
  { key: 'webhook.queue', flag: 'webhook-queue', env: ['FRAUDSTREAM_WEBHOOK_QUEUE'], default: 1000, help: 'most alerts waiting; beyond, alerts are dropped and counted', parse: int(1, 1_000_000) },
];

/** Settings by key. */
export const SETTINGS_BY_KEY: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.key, s]));
