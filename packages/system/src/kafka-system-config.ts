import { checkThresholds } from '@fraudstream/scorer';

/** Options of `createKafkaSystem`. */
export interface KafkaSystemConfig {
  /** Bootstrap brokers: `HOST:PORT` or a comma-separated list. */
  brokers: string;
  /** Consumer group (default `fraudstream`): every instance of one deployment uses the same. */
  group?: string;
  /** Transactions topic (default `transactions`, key = card id). */
  topic?: string;
  /** Labels topic (default `fraud-labels`); null reads no labels. */
  labelsTopic?: string | null;
  /** Output topics (defaults `fraud-decisions`, `fraud-alerts`) and the dead-letter topic (`transactions-dlq`). */
  decisionsTopic?: string;
  alertsTopic?: string;
  deadLetterTopic?: string;
  /** Kafka client id prefix (default `fraudstream`). */
  clientId?: string;
  /** The deployment secret of the card references that key the decisions (at least 16 bytes; the same on every instance). */
  cardRefSecret: Buffer;
  /** Scoring worker threads, model file and thresholds, as for `createSystem`. */
  workers?: number;
  modelPath?: string;
  thresholds?: { review: number; decline: number };
  /** Join the group right away (default false). */
  autoStart?: boolean;
  /** How often acknowledged offsets are committed, ms (default 200). */
  commitIntervalMs?: number;
  /** Decisions waiting for the broker's acknowledgement beyond which consumption pauses (default 100,000). */
  maxUnacknowledged?: number;
  /** Group session timeout, ms (default 10,000): how soon a dead instance's partitions move. */
  sessionTimeoutMs?: number;
  /**
   * The durability seam: the ring sequence below which a checkpoint covers every record. Offsets are committed only
   * below min(acknowledged, durableSeq()). Absent: acknowledgement alone (decisions on the broker are the record).
   */
  durableSeq?: () => number;
  /**
   * How a partition that moved here gets its cards' state (see `KafkaSource`'s `handover`): `replay` (default) reads
   * the partition's last `replayWindowMs` (default 32 days) below the group's committed offset into the scorer with
   * the decisions suppressed, before deciding anything from it; `none` starts those cards empty.
   */
  handover?: 'replay' | 'none';
  /**
   * Checkpoints (this instance's own directory): the scorer's state and per-partition applied offsets at an engine
   * barrier, complete once every decision before it is acknowledged. With it, offsets are committed only below the
   * last complete checkpoint, and a start restores the newest one before deciding, then resumes from the committed
   * offsets (skipping what the checkpoint already holds). Absent: no checkpoints.
   */
  checkpointDir?: string;
  /** Time between checkpoints, ms (default 10,000). */
  checkpointIntervalMs?: number;
  /**
   * The global terminal table's topic (compacted; absent: terminal state stays per instance): every instance
   * publishes its partitions' per-terminal per-day counts there and merges the others' (see `TerminalTable`).
   */
  terminalTableTopic?: string;
  /** How often the table is published and merged, ms (default 2,000). */
  terminalTableIntervalMs?: number;
  replayWindowMs?: number;
  /**
   * Exactly-once output (needs `checkpointDir`): decisions go into Kafka transactions, one per checkpoint interval,
   * committed with the checkpoint's input offsets (for read_committed consumers every decision is visible exactly
   * once, also after a crash); a failed transaction is fatal (`onFatal`): restart the instance. Default false.
   */
  exactlyOnce?: boolean;
  /**
   * The transactional id of this instance (exactly-once): the same across its restarts, different between
   * instances. Default: one created in `checkpointDir` (file `transactional-id`) on first use.
   */
  transactionalId?: string;
  /** Called once when the exactly-once output fails (the instance must restart from its last checkpoint). */
  onFatal?: (error: Error) => void;
}

/** A validated {@link KafkaSystemConfig} with its defaults filled in. */
export type ResolvedKafkaSystemConfig = Omit<KafkaSystemConfig, 'brokers'> & {
  brokers: string[];
  group: string;
  topic: string;
  labelsTopic: string | null;
  clientId: string;
  autoStart: boolean;
  commitIntervalMs: number;
  maxUnacknowledged: number;
};

/** Throws `TypeError`/`RangeError` naming the first bad option; returns the options with defaults. */
export function validateKafkaSystemConfig(config: KafkaSystemConfig): ResolvedKafkaSystemConfig {
  if (typeof config !== 'object' || config === null) throw new TypeError('config must be an object');
  if (typeof config.brokers !== 'string' || config.brokers.length === 0) {
    throw new TypeError('config.brokers must be HOST:PORT or a comma-separated list of them');
  }
  const brokers = config.brokers.split(',').map((b) => b.trim());
  for (const b of brokers) {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(b)) throw new RangeError(`config.brokers must be HOST:PORT entries (got '${b.slice(0, 80)}')`);
  }
  for (const f of ['group', 'topic', 'decisionsTopic', 'alertsTopic', 'deadLetterTopic', 'clientId', 'terminalTableTopic'] as const) {
    const v = config[f];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 249)) {
      throw new TypeError(`config.${f} must be a non-empty string of at most 249 characters`);
    }
  }
  if (config.labelsTopic !== undefined && config.labelsTopic !== null && (typeof config.labelsTopic !== 'string' || config.labelsTopic.length === 0)) {
    throw new TypeError('config.labelsTopic must be a non-empty string or null');
  }
  if (!Buffer.isBuffer(config.cardRefSecret) || config.cardRefSecret.length < 16) {
    throw new TypeError('config.cardRefSecret must be a Buffer of at least 16 bytes');
  }
  if (config.workers !== undefined && (!Number.isInteger(config.workers) || config.workers < 1 || config.workers > 64)) {
    throw new RangeError('config.workers must be an integer from 1 to 64');
  }
  if (config.modelPath !== undefined && (typeof config.modelPath !== 'string' || config.modelPath.length === 0)) {
    throw new TypeError('config.modelPath must be a non-empty string');
  }
  if (config.thresholds !== undefined) checkThresholds(config.thresholds, 'config.thresholds');
  const int = (v: number | undefined, name: string, min: number, max: number, d: number): number => {
    if (v === undefined) return d;
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`config.${name} must be an integer from ${min} to ${max}`);
    return v;
  };
  if (config.durableSeq !== undefined && typeof config.durableSeq !== 'function') throw new TypeError('config.durableSeq must be a function');
  if (config.autoStart !== undefined && typeof config.autoStart !== 'boolean') throw new TypeError('config.autoStart must be a boolean');
  if (config.checkpointDir !== undefined && (typeof config.checkpointDir !== 'string' || config.checkpointDir.length === 0)) {
    throw new TypeError('config.checkpointDir must be a non-empty string');
  }
  if (config.exactlyOnce !== undefined && typeof config.exactlyOnce !== 'boolean') throw new TypeError('config.exactlyOnce must be a boolean');
  if (config.exactlyOnce === true && config.checkpointDir === undefined) {
    // The transaction commits at a checkpoint; without one the restart could not resume where the output stopped.
    throw new TypeError('config.exactlyOnce needs config.checkpointDir (the transactions commit at checkpoints)');
  }
  if (config.transactionalId !== undefined && (typeof config.transactionalId !== 'string' || config.transactionalId.length === 0 || config.transactionalId.length > 249)) {
    throw new TypeError('config.transactionalId must be a non-empty string of at most 249 characters');
  }
  if (config.onFatal !== undefined && typeof config.onFatal !== 'function') throw new TypeError('config.onFatal must be a function');
  if (config.handover !== undefined && config.handover !== 'replay' && config.handover !== 'none') {
    throw new TypeError("config.handover must be 'replay' or 'none'");
  }
  return {
    ...config,
    brokers,
    group: config.group ?? 'fraudstream',
    topic: config.topic ?? 'transactions',
    labelsTopic: config.labelsTopic === undefined ? 'fraud-labels' : config.labelsTopic,
    clientId: config.clientId ?? 'fraudstream',
    autoStart: config.autoStart ?? false,
    commitIntervalMs: int(config.commitIntervalMs, 'commitIntervalMs', 10, 60_000, 200),
    maxUnacknowledged: int(config.maxUnacknowledged, 'maxUnacknowledged', 1000, 10_000_000, 100_000),
    ...(config.checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs: int(config.checkpointIntervalMs, 'checkpointIntervalMs', 50, 86_400_000, 10_000) }),
    ...(config.terminalTableIntervalMs === undefined ? {} : { terminalTableIntervalMs: int(config.terminalTableIntervalMs, 'terminalTableIntervalMs', 50, 3_600_000, 2000) }),
    ...(config.replayWindowMs === undefined ? {} : { replayWindowMs: int(config.replayWindowMs, 'replayWindowMs', 0, 366 * 86_400_000, 0) }),
    ...(config.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: int(config.sessionTimeoutMs, 'sessionTimeoutMs', 1000, 3_600_000, 10_000) }),
  };
}
