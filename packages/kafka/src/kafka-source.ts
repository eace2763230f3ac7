import { randomUUID } from 'node:crypto';
import { Consumer, type GroupPartitionsAssigner, type Message, type MessagesStream } from '@platformatic/kafka';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';
import { Limits, parseTransactionJson, RejectionLog, testFaultFlag, validateLabel, type Transaction, type Validated, type ValidationError } from '@fraudstream/schema';
import { assertRecordSink, type RecordSink, type SourceState } from '@fraudstream/sources';
import { brokerList, integerOption, KafkaOptionsTypeError, stringOption, topicName } from './errors.js';
import { compactQueue } from './head-queue.js';
import { DEFAULT_LABEL_INDEX_SIZE, LabelIndex } from './label-index.js';
import { PositionLog } from './position-log.js';
import { SerialProducer } from './serial-producer.js';
import { DEFAULT_GROUP, DEFAULT_TOPICS } from './topics.js';

/** Options of {@link KafkaSource}. */
export interface KafkaSourceOptions {
  /** Where records go (the engine's ring). */
  sink: RecordSink;
  /** Bootstrap brokers: `HOST:PORT`, a comma-separated list or an array. */
  brokers: string | string[];
  /** Consumer group (default `fraudstream`). */
  group?: string;
  /** Transactions topic (default `transactions`): JSON transactions, key = card id. */
  topic?: string;
  /** Labels topic (default `fraud-labels`): `{id, fraud}`; `null` consumes no labels. */
  labelsTopic?: string | null;
  /** Dead-letter topic for rejected messages (default `transactions-dlq`). */
  deadLetterTopic?: string;
  /** Client id (default `fraudstream-source`). */
  clientId?: string;
  /** Where a group without a committed offset starts: true = the earliest message (default), false = new ones only. */
  fromBeginning?: boolean;
  /** Messages held between the consumer and the sink before consumption pauses (default 8192, 16..1,048,576). */
  maxStaged?: number;
  /** Recent transactions whose labels can be resolved (default 262,144). */
  maxLabelIndex?: number;
  /** Group session timeout, ms (default 10,000): how soon a dead instance's partitions move. */
  sessionTimeoutMs?: number;
  /** Heartbeat interval, ms (default 1,000). */
  heartbeatIntervalMs?: number;
  /** How often the per-partition lag is refreshed, ms (default 1,000). */
  lagIntervalMs?: number;
  /** Called when the source fails (it also shows in `stats().error`). */
  onError?: (error: Error) => void;
  /**
   * Called when the group starts a rebalance (the broker answered a heartbeat or commit with REBALANCE_IN_PROGRESS):
   * the moment to finish what is in flight and commit it, before the partitions move. The source stops fetching at
   * once and writes only what it has already fetched. When the callback returns a promise, the group's rejoin is held
   * until it settles (at most `rebalanceHoldMs`): the group cannot complete the rebalance, and no partition moves,
   * before this member rejoins, while the old generation's commits are still accepted. Until the rebalance is over
   * nothing more is written into the sink, and fetched messages of partitions this member lost are dropped (their
   * new owner reads them from the committed offset).
   */
  onRebalance?: () => void | Promise<void>;
  /**
   * Longest hold of the rejoin for `onRebalance`'s promise, ms (default a third of the session timeout, at most
   * 5,000, so the member rejoins well within its session and the group's rebalance timeout).
   */
  rebalanceHoldMs?: number;
  /**
   * Messages this process has already applied, per partition (the `applied()` of the source this one replaces):
   * a message below its partition's offset here is skipped when delivered again (its decision was already
   * produced), so per-card and per-terminal state never counts one transaction twice.
   */
  skipBelow?: readonly { topic: string; partition: number; offset: number }[];
  /**
   * How a partition that arrives with messages this process has not applied (another instance decided them: a
   * rebalance, a crash, a restart) gets its card state: `replay` (default) first reads the transactions partition
   * from the offset of (the first delivered message's time - `replayWindowMs`) up to its first live message (or the
   * group's committed offset), then the same partition of the labels topic from the offset of the same time up to
   * its first live label (or the group's committed offset: the labels the previous owner applied), and writes them
   * into the sink as replay records (state only: `isReplayAt(slot)` is true and their decisions are not output),
   * before any live message of the partition; `none` starts those cards and labels from empty state.
   */
  handover?: 'replay' | 'none';
  /** Event-time reach of the replay, ms (default 32 days: the longest card window, 31 daily buckets, plus a day). */
  replayWindowMs?: number;
}

/** One assigned partition in {@link KafkaSourceStats}. */
export interface PartitionStats {
  topic: string;
  partition: number;
  /** Next offset this source will read (-1 before its first message). */
  position: number;
  /** The partition's end offset at the last lag refresh (-1 before the first refresh). */
  endOffset: number;
  /** Messages not yet read: endOffset - position (before the first message: endOffset - the group's committed offset). */
  lag: number;
  /** Last offset committed through this source (-1 when none). */
  committed: number;
}

/** Counters of a {@link KafkaSource}. */
export interface KafkaSourceStats {
  state: SourceState;
  /** Transactions written into the sink. */
  generated: number;
  /** Label records written into the sink. */
  labelsEmitted: number;
  /** Messages rejected by validation (each sent to the dead-letter topic and passed to `sink.reject`). */
  rejected: number;
  /** Rejections by field (`$` for a message that is not JSON or too long). */
  rejectedByField: Record<string, number>;
  /** Rejected messages the broker has acknowledged on the dead-letter topic. */
  deadLettered: number;
  /** Labels for transaction ids this source has not seen (or has forgotten); they update nothing. */
  unknownLabels: number;
  /** Messages read from Kafka. */
  consumed: number;
  /** Messages held between the consumer and the sink. */
  staged: number;
  /** Whether consumption is paused because the sink is full. */
  paused: boolean;
  /** Times consumption was paused because the sink was full, and resumed. */
  pauses: number;
  resumes: number;
  /** Times a write found the sink full and waited. */
  backpressureWaits: number;
  /** Commits made (calls that committed at least one partition). */
  commits: number;
  /** Messages delivered again below what this process had already applied (after a rebalance or a restart), skipped. */
  redeliveredSkipped: number;
  /** Hand-overs by replay started, and the transactions they wrote as replay records (state only, no decision). */
  replays: number;
  replayed: number;
  /** Labels the hand-over replays wrote as replay label records (the previous owner applied them; state only). */
  replayedLabels: number;
  /** True while a replay runs (live messages wait). */
  replaying: boolean;
  /** Rebalances whose rejoin was held for `onRebalance`'s drain, and the holds that reached `rebalanceHoldMs`. */
  rejoinsHeld: number;
  holdTimeouts: number;
  /** Fetched messages of partitions this member lost in a rebalance, dropped unwritten (their new owner decides them). */
  revokedDropped: number;
  /** Assigned partitions with their position, end offset, lag and last commit. */
  partitions: PartitionStats[];
  /** Sum of `lag` over the partitions. */
  lag: number;
  /** Why the source failed (`state === 'failed'`). */
  error: Error | undefined;
}

/** Most slots claimed at once. */
const CHUNK = 4096;
/** Longest run of one partition's messages covered by one position-log entry. */
const RUN = 256;
/** Delay before retrying a full sink, ms. */
const BACKPRESSURE_RETRY_MS = 1;
/** Most characters of a rejected message copied into its dead-letter record. */
const DLQ_VALUE_CHARS = Limits.maxJsonBytes;

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/**
 * One topic-partition's part of a hand-over replay: its messages below `to` (where its live messages start), read
 * by a consumer of its own into `queue`.
 */
interface ReplayPart {
  tp: number;
  to: number;
  queue: (KafkaMessage | undefined)[];
  head: number;
  /** Read to `to` (or the replay was closed). */
  done: boolean;
  paused: boolean;
  consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  /** Ends the wait for this part's messages (the replay was closed). */
  wake: (() => void) | undefined;
}

/**
 * A hand-over replay in progress: partition `partition` of the transactions topic and the same partition of the
 * labels topic, read side by side and written merged by Kafka timestamp (a transaction before a label of the same
 * millisecond), as one instance reading both would have applied them.
 */
interface Replay {
  partition: number;
  /** The live message that revealed the gap: its topic-partition and offset, and its time. */
  trigger: { tp: number; offset: number; timestampMs: number };
  /** The parts to read (set once their ends are known: until then nothing is written). */
  parts: ReplayPart[] | undefined;
  /** Every part read to its end, or the replay closed. */
  finished: boolean;
}


/**
 * The client's retry wrapper, a symbol-keyed method of its base class that it does not export, found by the
 * symbol's description (undefined with a client that has none: then rejoins are not held).
 */
const kPerformWithRetry: symbol | undefined = (() => {
  for (let p: object | null = Consumer.prototype; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const s = Object.getOwnPropertySymbols(p).find((x) => x.description === 'plt.kafka.base.performWithRetry');
    if (s !== undefined) return s;
  }
  return undefined;
})();

/**
 * Makes `consumer` wait for `hold()` (when it returns a promise) before it rejoins its group after a heartbeat
 * learned of a rebalance. @platformatic/kafka 1.35 emits 'consumer:group:rebalance' from the heartbeat's error path
 * and, in the same synchronous step, runs the rejoin as the retried operation 'rejoinGroup' (JoinGroup, then
 * SyncGroup); it offers no hook to delay it, so that one operation is wrapped on this instance. Returns false when
 * the client has no such method (the rejoin then goes at once, as before).
 */
function holdRejoin(consumer: Consumer<Buffer, Buffer, Buffer, Buffer>, hold: () => Promise<void> | undefined): boolean {
  if (kPerformWithRetry === undefined) return false;
  const target = consumer as unknown as Record<symbol, unknown>;
  const original = target[kPerformWithRetry];
  if (typeof original !== 'function') return false;
  const perform = original as (this: unknown, operationId: unknown, ...rest: unknown[]) => unknown;
  target[kPerformWithRetry] = function (this: unknown, operationId: unknown, ...rest: unknown[]): unknown {
    const h = operationId === 'rejoinGroup' ? hold() : undefined;
    if (h === undefined) return perform.call(this, operationId, ...rest);
    // The heartbeat path ignores what this returns; a consumer closed meanwhile has left the group: no rejoin.
    void h.then(() => {
      if (!consumer.closed) perform.call(this, operationId, ...rest);
    });
    return undefined;
  };
  return true;
}

/** An assignor for a replay consumer: only `partition` of `topic`, to the only member. */
function onePartition(topic: string, partition: number): GroupPartitionsAssigner {
  return (_current, members) =>
    [...members.keys()].slice(0, 1).map((memberId) => ({ memberId, assignments: new Map([[topic, { topic, partitions: [partition] }]]) }));
}

interface PartitionState {
  topic: string;
  partition: number;
  position: number;
  /** The group's committed offset when this member got the partition (0 when none): where reading starts. */
  start: number;
  endOffset: number;
  committed: number;
  /** Offset below which every message was applied (written, dead-lettered or dropped) by this process. */
  applied: number;
  /** Assigned to this member at the last assignment (fetched messages of a partition not owned are dropped). */
  owned: boolean;
}

/**
 * Consumes JSON transactions (and `{id, fraud}` labels) from Kafka in a consumer group and writes them as records
 * into a {@link RecordSink}: transactions with `writeTransaction`, labels as label records carrying the labelled
 * transaction's keys and time (kept for the last `maxLabelIndex` transactions). A message that fails validation goes
 * to the dead-letter topic with the reason and the field, is counted and passed to `sink.reject`, and its partition
 * goes on.
 *
 * Backpressure: messages wait in a bounded stage; when the sink has no room the source retries every millisecond,
 * and when the stage is full it pauses consumption (every assigned partition: they all feed one ring) until the
 * stage is half empty. Nothing is dropped.
 *
 * Offsets are never committed automatically: the caller says what is durable, with {@link commitUpTo} (a partition's
 * next offset) or {@link commitReleased} (every record below a ring sequence number is durable; the source maps
 * sequence numbers back to offsets). Until then a restarted group reads the messages again.
 *
 * Lifecycle like the other sources: `start()` (joins the group; resolves once consuming), `stop()` (pauses, stays in
 * the group), `start()` again resumes, `close()` leaves the group for good.
 */
export class KafkaSource {
  readonly topic: string;
  readonly labelsTopic: string | null;
  readonly deadLetterTopic: string;
  readonly group: string;
  private readonly sink: RecordSink;
  private readonly brokers: string[];
  private readonly clientId: string;
  private readonly fromBeginning: boolean;
  private readonly maxStaged: number;
  private readonly sessionTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly lagIntervalMs: number;
  private readonly onError: ((error: Error) => void) | undefined;
  private readonly onRebalance: (() => void | Promise<void>) | undefined;
  /** Longest hold of the group rejoin for `onRebalance`, ms. */
  readonly rebalanceHoldMs: number;
  private readonly index: LabelIndex;
  private readonly positions = new PositionLog();
  /** Per partition index: the offset released for commit and not yet committed (retried by the next commit). */
  private readonly owed = new Map<number, number>();
  private readonly rejections = new RejectionLog();

  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private dlq: SerialProducer | undefined;
  private state: SourceState = 'idle';
  private failure: Error | undefined;
  private starting: Promise<void> | undefined;

  private staged: KafkaMessage[] = [];
  private stagedHead = 0;
  private streamPaused = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private drainImmediate: NodeJS.Immediate | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private readonly pendingDlq = new Set<Promise<void>>();

  /** Per topic-partition state, by index (the position log stores indices). */
  private readonly tps: PartitionState[] = [];
  private readonly tpIndex = new Map<string, number>();

  /**
   * Where this member is in a rebalance: `draining` from the group's notice until `onRebalance` settles (the rejoin
   * is held; what was fetched is written), `joining` until the new assignment arrives (nothing is written).
   */
  private rebalance: 'none' | 'draining' | 'joining' = 'none';
  /** The assignment changed while draining (a rejoin that was not held): the rebalance ends with the drain. */
  private joinedWhileDraining = false;
  /** What a held rejoin waits for (undefined: the rejoin goes at once). */
  private hold: Promise<void> | undefined;
  private holdsRejoin = false;
  private rejoinsHeld = 0;
  private holdTimeouts = 0;
  private revokedDropped = 0;

  /** Side tables by ring slot: the card id (the decision's key) and the message's partition and offset. */
  private readonly slotCard: (string | undefined)[];
  /** Transaction ids that are not integers (an integer id lives in the record itself). */
  private readonly slotTxId: (string | undefined)[];
  private readonly slotTp: Int32Array;
  private readonly slotOffset: Float64Array;
  /** 1 for a replay record (state only: its decision is not output). */
  private readonly slotReplay: Uint8Array;
  private readonly handover: 'replay' | 'none';
  private readonly replayWindowMs: number;
  /** Whether a hand-over replays the labels partition too (false only under the test fault `skipLabelReplay`). */
  private readonly replayLabels: boolean;
  private replay: Replay | undefined;
  private replays = 0;
  private replayed = 0;
  private replayedLabels = 0;

  private generated = 0;
  private labelsEmitted = 0;
  private deadLettered = 0;
  private unknownLabels = 0;
  private consumed = 0;
  private pauses = 0;
  private resumes = 0;
  private backpressureWaits = 0;
  private commits = 0;
  private redeliveredSkipped = 0;

  constructor(options: KafkaSourceOptions) {
    if (typeof options !== 'object' || options === null) throw new KafkaOptionsTypeError('options must be an object');
    assertRecordSink(options.sink, 'options.sink');
    this.sink = options.sink;
    this.brokers = brokerList(options.brokers, 'options.brokers');
    this.group = stringOption(options.group ?? DEFAULT_GROUP, 'options.group');
    this.topic = topicName(options.topic ?? DEFAULT_TOPICS.transactions, 'options.topic');
    this.labelsTopic =
      options.labelsTopic === null ? null : topicName(options.labelsTopic ?? DEFAULT_TOPICS.labels, 'options.labelsTopic');
    if (this.labelsTopic === this.topic) {
      throw new KafkaOptionsTypeError('options.labelsTopic must differ from options.topic');
    }
    this.deadLetterTopic = topicName(options.deadLetterTopic ?? DEFAULT_TOPICS.deadLetter, 'options.deadLetterTopic');
    this.clientId = stringOption(options.clientId ?? 'fraudstream-source', 'options.clientId');
    if (options.fromBeginning !== undefined && typeof options.fromBeginning !== 'boolean') {
      throw new KafkaOptionsTypeError('options.fromBeginning must be a boolean');
    }
    this.fromBeginning = options.fromBeginning ?? true;
    this.maxStaged = integerOption(options.maxStaged ?? 8192, 'options.maxStaged', 16, 1_048_576);
    this.index = new LabelIndex(
      integerOption(options.maxLabelIndex ?? DEFAULT_LABEL_INDEX_SIZE, 'options.maxLabelIndex', 1, 2 ** 26),
    );
    this.sessionTimeoutMs = integerOption(options.sessionTimeoutMs ?? 10_000, 'options.sessionTimeoutMs', 1000, 3_600_000);
    this.heartbeatIntervalMs = integerOption(options.heartbeatIntervalMs ?? 1000, 'options.heartbeatIntervalMs', 100, 60_000);
    this.lagIntervalMs = integerOption(options.lagIntervalMs ?? 1000, 'options.lagIntervalMs', 100, 3_600_000);
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new KafkaOptionsTypeError('options.onError must be a function');
    }
    this.onError = options.onError;
    if (options.onRebalance !== undefined && typeof options.onRebalance !== 'function') {
      throw new KafkaOptionsTypeError('options.onRebalance must be a function');
    }
    this.onRebalance = options.onRebalance;
    this.rebalanceHoldMs = integerOption(
      options.rebalanceHoldMs ?? Math.min(5000, Math.floor(this.sessionTimeoutMs / 3)),
      'options.rebalanceHoldMs',
      0,
      Math.floor(this.sessionTimeoutMs / 2),
    );
    for (const [i, b] of (options.skipBelow ?? []).entries()) {
      if (typeof b !== 'object' || b === null || !Number.isSafeInteger(b.offset) || b.offset < 0) {
        throw new KafkaOptionsTypeError(`options.skipBelow[${i}] must be {topic, partition, offset} with a non-negative offset`);
      }
      this.tps[this.tpOf(b.topic, b.partition)]!.applied = b.offset;
    }
    if (options.handover !== undefined && options.handover !== 'replay' && options.handover !== 'none') {
      throw new KafkaOptionsTypeError("options.handover must be 'replay' or 'none'");
    }
    this.handover = options.handover ?? 'replay';
    this.replayWindowMs = integerOption(options.replayWindowMs ?? 32 * 86_400_000, 'options.replayWindowMs', 0, 366 * 86_400_000);
    // Test-only fault `skipLabelReplay` (the engine documents them): replay the transactions only, as before labels
    // were replayed, so the hand-over test shows the difference the labels make.
    this.replayLabels = this.labelsTopic !== null && !testFaultFlag('skipLabelReplay');
    const slots = this.sink.views.slots;
    this.slotCard = new Array<string | undefined>(slots);
    this.slotTxId = new Array<string | undefined>(slots);
    this.slotTp = new Int32Array(slots);
    this.slotOffset = new Float64Array(slots);
    this.slotReplay = new Uint8Array(slots);
  }

  /** True while consuming (between start() and stop() or close()). */
  get running(): boolean {
    return this.state === 'running';
  }

  /**
   * Joins the group and starts consuming (or resumes after stop()); resolves once the consumer stream is open.
   * Rejects, and the state becomes 'failed', when the brokers cannot be reached or a topic does not exist.
   */
  start(): Promise<void> {
    if (this.state === 'stopped') {
      this.state = 'running';
      this.maybeResume();
      this.scheduleDrain(0);
      return Promise.resolve();
    }
    if (this.state !== 'idle') return this.starting ?? Promise.resolve();
    this.state = 'running';
    this.starting = this.open().catch((err: unknown) => {
      this.fail(err);
      throw this.failure;
    });
    return this.starting;
  }

  /** Pauses consumption; the group membership (and the partitions) are kept. start() resumes. */
  stop(): void {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    this.pauseStream();
  }

  /** Leaves the group and closes the connections; staged messages that were not written are read again later. */
  async close(): Promise<void> {
    if (this.state === 'ended') return;
    if (this.state !== 'failed') this.state = 'ended';
    await this.starting?.catch(() => {});
    this.clearTimers();
    await Promise.allSettled([...this.pendingDlq]);
    await this.closeReplay();
    await this.stream?.close().catch(() => {});
    await this.consumer?.close().catch(() => {});
    await this.dlq?.close().catch(() => {});
  }

  /** Current counters, with the per-partition positions and lag. */
  stats(): KafkaSourceStats {
    let lag = 0;
    const partitions = this.assigned().map((s) => {
      const l = s.endOffset < 0 ? 0 : Math.max(0, s.endOffset - (s.position < 0 ? s.start : s.position));
      lag += l;
      return { topic: s.topic, partition: s.partition, position: s.position, endOffset: s.endOffset, lag: l, committed: s.committed };
    });
    return {
      state: this.state,
      generated: this.generated,
      labelsEmitted: this.labelsEmitted,
      rejected: this.rejections.total,
      rejectedByField: Object.fromEntries(this.rejections.byField),
      deadLettered: this.deadLettered,
      unknownLabels: this.unknownLabels,
      consumed: this.consumed,
      staged: this.staged.length - this.stagedHead,
      paused: this.streamPaused,
      pauses: this.pauses,
      resumes: this.resumes,
      backpressureWaits: this.backpressureWaits,
      commits: this.commits,
      redeliveredSkipped: this.redeliveredSkipped,
      replays: this.replays,
      replayed: this.replayed,
      replayedLabels: this.replayedLabels,
      replaying: this.replay !== undefined,
      rejoinsHeld: this.rejoinsHeld,
      holdTimeouts: this.holdTimeouts,
      revokedDropped: this.revokedDropped,
      partitions,
      lag,
      error: this.failure,
    };
  }

  /** Fetched messages not yet written into the sink (staged, or a hand-over replay still reading or queued). */
  unwritten(): number {
    const r = this.replay;
    const replaying = r === undefined ? 0 : (r.parts ?? []).reduce((n, p) => n + p.queue.length - p.head, r.finished ? 0 : 1);
    return this.staged.length - this.stagedHead + replaying;
  }

  /** Per partition, the offset below which every message has been applied by this source (for a replacement's `skipBelow`). */
  applied(): { topic: string; partition: number; offset: number }[] {
    return this.tps.filter((s) => s.applied > 0).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.applied }));
  }

  /**
   * The consumer's group membership now (group, generation, member id, coordinator), for a transactional offset
   * commit (KIP-447 fencing); undefined before the group is joined.
   */
  member(): { groupId: string; generationId: number; memberId: string; coordinatorId: number } | undefined {
    const c = this.consumer;
    if (c === undefined || c.memberId === null || c.coordinatorId === null || c.generationId < 0) return undefined;
    return { groupId: c.groupId, generationId: c.generationId, memberId: c.memberId, coordinatorId: c.coordinatorId };
  }

  /** The card id of the transaction in ring `slot` (the key its decision is produced with). */
  cardIdAt(slot: number): string | undefined {
    return this.slotCard[slot];
  }

  /**
   * The transaction id of the record in ring `slot`: kept here too because the engine forgets a non-integer id
   * once it has accounted the batch, before batch listeners (the decision output) run.
   */
  txIdAt(slot: number): string | undefined {
    return this.slotTxId[slot];
  }

  /** True when the record in ring `slot` is a hand-over replay record: it updates state; its decision is not output. */
  isReplayAt(slot: number): boolean {
    return this.slotReplay[slot] === 1;
  }

  /** Where the record in ring `slot` came from. */
  positionAt(slot: number): { topic: string; partition: number; offset: number } | undefined {
    const s = this.tps[this.slotTp[slot]!];
    return s === undefined ? undefined : { topic: s.topic, partition: s.partition, offset: this.slotOffset[slot]! };
  }

  /**
   * A decision id for the record in ring `slot` that is the same whenever the message is delivered again
   * (`topic-partition-offset`), so consumers of the decisions topic can drop duplicates.
   */
  decisionIdAt(slot: number): string {
    const s = this.tps[this.slotTp[slot]!];
    return s === undefined ? '' : `${s.topic}-${s.partition}-${this.slotOffset[slot]!}`;
  }

  /**
   * Commits `nextOffset` (the next offset to read: every message below it is durable) for a partition of `topic`
   * (default the transactions topic). Waits for dead-letter sends in flight first, so a rejected message is never
   * committed before the broker holds its dead-letter record.
   */
  async commitUpTo(partition: number, nextOffset: number, topic: string = this.topic): Promise<void> {
    if (!Number.isInteger(partition) || partition < 0) throw new RangeError('partition must be a non-negative integer');
    if (!Number.isSafeInteger(nextOffset) || nextOffset < 0) throw new RangeError('nextOffset must be a non-negative integer');
    await this.commitOffsets([{ topic, partition, offset: nextOffset }]);
  }

  /**
   * Commits, for every partition, the offsets of the messages whose records are all below ring sequence number
   * `releasedSeq` (the caller's "everything before this is decided and durable"). Resolves with what it committed.
   */
  async commitReleased(releasedSeq: number): Promise<{ topic: string; partition: number; offset: number }[]> {
    for (const [tp, offset] of this.positions.advance(releasedSeq)) {
      if ((this.owed.get(tp) ?? -1) < offset) this.owed.set(tp, offset);
    }
    // Offsets owed by an earlier call whose commit failed (a rebalance, a broker restart) go again: the position log
    // has already handed them out and would not return them a second time.
    const owed = [...this.owed];
    const offsets = owed.map(([tp, offset]) => {
      const s = this.tps[tp]!;
      return { topic: s.topic, partition: s.partition, offset };
    });
    await this.commitOffsets(offsets);
    for (const [tp, offset] of owed) if (this.owed.get(tp) === offset) this.owed.delete(tp);
    return offsets;
  }

  private async commitOffsets(offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
    if (offsets.length === 0) return;
    const consumer = this.consumer;
    if (consumer === undefined) throw new Error('the source has not started');
    await Promise.all([...this.pendingDlq]);
    await consumer.commit({
      offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })),
    });
    this.commits++;
    for (const o of offsets) {
      const s = this.tps[this.tpOf(o.topic, o.partition)]!;
      if (o.offset > s.committed) s.committed = o.offset;
    }
  }

  private async open(): Promise<void> {
    const topics = this.labelsTopic === null ? [this.topic] : [this.topic, this.labelsTopic];
    this.dlq = new SerialProducer({ clientId: `${this.clientId}-dlq`, brokers: this.brokers });
    const consumer = new Consumer({
      clientId: this.clientId,
      groupId: this.group,
      bootstrapBrokers: this.brokers,
      autocommit: false,
      sessionTimeout: this.sessionTimeoutMs,
      rebalanceTimeout: Math.max(this.sessionTimeoutMs, 30_000),
      heartbeatInterval: this.heartbeatIntervalMs,
      maxWaitTime: 500,
      highWaterMark: 1024,
      retries: 5,
      partitionAssigner: coPartitionedAssigner,
    });
    this.consumer = consumer;
    this.holdsRejoin = holdRejoin(consumer, () => this.hold);
    // Registered before the stream's own listener (created by consume() below), so fetched messages of a lost
    // partition are known as such before the stream fetches for the new assignment.
    consumer.on('consumer:group:rebalance', this.onGroupRebalance);
    consumer.on('consumer:group:join', this.onGroupJoin);
    // Emitted once a rejoin after a heartbeat's notice is over, also when it failed (then no group:join follows).
    consumer.on('consumer:rejoin', this.onGroupJoin);
    // The client emits 'error' on itself when a rejoin failed after its retries: with no listener Node would throw it
    // and end the process; the source fails instead, visibly (stats, onError), like a failed stream.
    consumer.on('error', (err: Error) => this.fail(err));
    const stream = await consumer.consume({
      topics,
      mode: 'committed',
      fallbackMode: this.fromBeginning ? 'earliest' : 'latest',
      autocommit: false,
    });
    this.stream = stream;
    stream.on('data', this.onMessage);
    stream.on('error', (err: Error) => this.fail(err));
    // stop() (or close()) during the join: it could not pause a stream that did not exist yet.
    if (this.streamPaused || this.state !== 'running') {
      this.streamPaused = true;
      stream.pause();
    }
    this.lagTimer = setInterval(() => void this.refreshLag(), this.lagIntervalMs);
    this.lagTimer.unref();
    void this.refreshLag();
  }

  /**
   * The group's notice of a rebalance (from a heartbeat, a commit or a sync; once per rebalance here): stop fetching,
   * run `onRebalance`, and hold the rejoin until its promise settles (bounded by `rebalanceHoldMs`).
   */
  private readonly onGroupRebalance = (): void => {
    if (this.rebalance !== 'none' || this.state === 'ended' || this.state === 'failed') return;
    this.rebalance = 'draining';
    this.joinedWhileDraining = false;
    this.pauseStream();
    this.scheduleDrain(0);
    let drained: void | Promise<void>;
    try {
      drained = this.onRebalance?.();
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!(drained instanceof Promise) || !this.holdsRejoin || this.rebalanceHoldMs === 0) {
      this.hold = undefined;
      this.afterDrain();
      return;
    }
    this.rejoinsHeld++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.holdTimeouts++;
        resolve();
      }, this.rebalanceHoldMs);
    });
    const hold: Promise<void> = Promise.race([drained.catch(() => undefined), timeout]).then(() => {
      clearTimeout(timer);
      if (this.hold === hold) this.hold = undefined;
      this.afterDrain();
    });
    this.hold = hold;
  };

  /** The drain is over (or was not waited for): wait for the new assignment, unless it has already arrived. */
  private afterDrain(): void {
    if (this.rebalance !== 'draining') return;
    if (this.joinedWhileDraining) {
      this.endRebalance();
      return;
    }
    this.rebalance = 'joining';
  }

  /** A new assignment (or the end of a rejoin): fetched messages of lost partitions go, then fetching resumes. */
  private readonly onGroupJoin = (): void => {
    const owned = new Set(this.assigned());
    for (const s of this.tps) s.owned = owned.has(s);
    if (this.rebalance === 'draining') {
      this.joinedWhileDraining = true;
      return;
    }
    this.endRebalance();
  };

  private endRebalance(): void {
    if (this.rebalance === 'none') return;
    this.rebalance = 'none';
    this.joinedWhileDraining = false;
    this.maybeResume();
    this.scheduleDrain(0);
  }

  private readonly onMessage = (message: KafkaMessage): void => {
    this.consumed++;
    this.staged.push(message);
    if (this.staged.length - this.stagedHead >= this.maxStaged) {
      // The client hands over a whole fetch in one burst: write what the sink takes now, and pause only when the
      // sink itself is full (so `pauses` counts backpressure, not bursts).
      if (this.state === 'running') this.drainNow();
      if (this.staged.length - this.stagedHead >= this.maxStaged) this.pauseStream(true);
    }
    this.scheduleDrain(0);
  };

  private drainNow(): void {
    if (this.drainImmediate !== undefined) clearImmediate(this.drainImmediate);
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drain();
  }

  private pauseStream(backpressure = false): void {
    if (this.streamPaused) return;
    this.streamPaused = true;
    if (backpressure) this.pauses++;
    this.stream?.pause();
  }

  private maybeResume(): void {
    if (!this.streamPaused || this.state !== 'running' || this.rebalance !== 'none') return;
    if (this.staged.length - this.stagedHead > this.maxStaged / 2) return;
    this.streamPaused = false;
    this.resumes++;
    this.stream?.resume();
  }

  private scheduleDrain(ms: number): void {
    if (this.drainTimer !== undefined || this.drainImmediate !== undefined) return;
    if (ms <= 0) {
      this.drainImmediate = setImmediate(this.drain);
    } else {
      this.drainTimer = setTimeout(this.drain, ms);
    }
  }

  private clearTimers(): void {
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    if (this.drainImmediate !== undefined) clearImmediate(this.drainImmediate);
    if (this.lagTimer !== undefined) clearInterval(this.lagTimer);
    this.drainTimer = undefined;
    this.drainImmediate = undefined;
    this.lagTimer = undefined;
  }

  private fail(err: unknown): void {
    if (this.state === 'failed' || this.state === 'ended') return;
    this.failure = err instanceof Error ? err : new Error(String(err));
    this.state = 'failed';
    this.clearTimers();
    this.onError?.(this.failure);
  }

  private tpOf(topic: string, partition: number): number {
    const key = `${topic}\u0000${partition}`;
    let i = this.tpIndex.get(key);
    if (i === undefined) {
      i = this.tps.length;
      this.tps.push({ topic, partition, position: -1, start: 0, endOffset: -1, committed: -1, applied: 0, owned: true });
      this.tpIndex.set(key, i);
    }
    return i;
  }

  private assigned(): PartitionState[] {
    const assignments = this.consumer?.assignments ?? [];
    const out: PartitionState[] = [];
    for (const a of assignments) for (const p of a.partitions) out.push(this.tps[this.tpOf(a.topic, p)]!);
    return out;
  }

  private async refreshLag(): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || this.state === 'ended' || this.state === 'failed') return;
    try {
      const topics = this.labelsTopic === null ? [this.topic] : [this.topic, this.labelsTopic];
      const ends = await consumer.listOffsets({ topics });
      for (const [topic, offsets] of ends) {
        offsets.forEach((end, partition) => {
          this.tps[this.tpOf(topic, partition)]!.endOffset = Number(end);
        });
      }
      // A partition this member has not read from yet starts at the group's committed offset: without it, the lag of
      // an idle, fully committed partition would read as its whole length.
      const unread = (consumer.assignments ?? [])
        .map((a) => ({ topic: a.topic, partitions: a.partitions.filter((p) => this.tps[this.tpOf(a.topic, p)]!.position < 0) }))
        .filter((a) => a.partitions.length > 0);
      if (unread.length > 0) {
        const committed = await consumer.listCommittedOffsets({ topics: unread });
        for (const [topic, offsets] of committed) {
          offsets.forEach((off, partition) => {
            const s = this.tps[this.tpOf(topic, partition)]!;
            if (off >= 0n && s.position < 0) s.start = Number(off);
          });
        }
      }
    } catch {
      // Lag is informational: a failed refresh (a rebalance, a broker restart) keeps the last figures.
    }
  }

  /** Writes staged messages into the sink until it is full or the stage is empty. */
  private readonly drain = (): void => {
    this.drainTimer = undefined;
    this.drainImmediate = undefined;
    // Between the drain and the new assignment nothing is written: which partitions stay here is not known yet.
    if (this.state !== 'running' || this.rebalance === 'joining') return;
    try {
      if (this.replay !== undefined && !this.writeReplay(this.replay)) return;
      this.writeStaged();
    } catch (err) {
      // A throwing sink must not crash the process from a timer callback: the source fails, visibly.
      this.fail(err);
    }
  };

  private writeStaged(): void {
    const sink = this.sink;
    const dead: { message: KafkaMessage; error: ValidationError }[] = [];
    // The position log gets one entry per run of messages from one partition (cut at RUN records), so a commit
    // can advance in steps of at most RUN records per partition.
    let runTp = -1;
    let runNext = 0;
    let runLength = 0;
    let lastTopic = '';
    let lastPartition = -1;
    let lastTp = -1;
    let gap: { tp: number; partition: number; to: number; timestampMs: number } | undefined;
    while (this.stagedHead < this.staged.length && gap === undefined) {
      const k = sink.claim(Math.min(this.staged.length - this.stagedHead, CHUNK));
      if (k === 0) {
        this.backpressureWaits++;
        this.scheduleDrain(BACKPRESSURE_RETRY_MS);
        break;
      }
      const slot0 = sink.claimedSlot;
      const seq0 = sink.claimedSeq;
      const ingestMs = performance.timeOrigin + performance.now();
      let filled = 0;
      while (filled < k && this.stagedHead < this.staged.length) {
        const m = this.staged[this.stagedHead]!;
        // Messages come in runs of one partition: look the partition up only when it changes.
        if (m.partition !== lastPartition || m.topic !== lastTopic) {
          lastTp = this.tpOf(m.topic, m.partition);
          lastTopic = m.topic;
          lastPartition = m.partition;
        }
        const tp = lastTp;
        // Fetched before a rebalance that gave the partition to another member: it reads it from the committed offset.
        if (!this.tps[tp]!.owned) {
          this.staged[this.stagedHead++] = undefined as unknown as KafkaMessage;
          this.revokedDropped++;
          continue;
        }
        const offset = Number(m.offset);
        // Messages below this one were applied elsewhere (the partition moved here): its cards' state (the
        // transactions, then the labels the previous owner applied) is replayed first, and this message waits for it.
        if (this.handover === 'replay' && offset > this.tps[tp]!.applied && (m.topic === this.topic || this.replayLabels)) {
          gap = { tp, partition: m.partition, to: offset, timestampMs: Number(m.timestamp) };
          break;
        }
        this.staged[this.stagedHead++] = undefined as unknown as KafkaMessage;
        if (tp !== runTp || runLength >= RUN) {
          if (runTp >= 0) this.positions.record(seq0 + filled, runTp, runNext);
          runTp = tp;
          runLength = 0;
        }
        runNext = offset + 1;
        runLength++;
        const state = this.tps[tp]!;
        state.position = offset + 1;
        // Delivered again after a rebalance or a broker restart: this process already applied it (and produced its
        // decision); applying it twice would count it twice in the card's and terminal's windows.
        if (offset < state.applied) {
          this.redeliveredSkipped++;
          continue;
        }
        state.applied = offset + 1;
        const slot = slot0 + filled;
        if (m.topic === this.topic) {
          const r = parseValue(m.value, parseTransactionJson);
          if (!r.ok) {
            dead.push({ message: m, error: r.error });
            continue;
          }
          this.writeTransactionAt(slot, seq0 + filled, r.value, ingestMs);
        } else {
          const r = parseValue(m.value, parseLabelJson);
          if (!r.ok) {
            dead.push({ message: m, error: r.error });
            continue;
          }
          if (!this.writeLabelAt(slot, r.value.id, r.value.fraud, ingestMs)) continue;
        }
        this.slotTp[slot] = tp;
        this.slotOffset[slot] = offset;
        this.slotReplay[slot] = 0;
        filled++;
      }
      sink.publish(filled);
      if (runTp >= 0) this.positions.record(seq0 + filled, runTp, runNext);
      runTp = -1;
    }
    const staged = compactQueue(this.staged, this.stagedHead);
    if (staged !== this.staged) {
      this.staged = staged;
      this.stagedHead = 0;
    }
    if (dead.length > 0) this.deadLetter(dead);
    if (gap !== undefined) this.startReplay(gap.partition, { tp: gap.tp, offset: gap.to, timestampMs: gap.timestampMs });
    this.maybeResume();
  }

  /**
   * Starts the hand-over replay of partition `partition` (of both topics), revealed by the live message `trigger`:
   * every later message waits until it is written.
   */
  private startReplay(partition: number, trigger: Replay['trigger']): void {
    const r: Replay = { partition, trigger, parts: undefined, finished: false };
    this.replay = r;
    this.replays++;
    this.runReplay(r).catch((err: unknown) => {
      if (this.replay === r) this.fail(err);
    });
  }

  /**
   * Reads the replay's parts side by side: the transactions partition below its first live message and (unless
   * labels are off) the labels partition below its first live label. The trigger's own topic ends at the trigger;
   * the other ends at the group's committed offset (where its live messages start: what the previous owner
   * applied), and has nothing to replay when the group has none.
   */
  private async runReplay(r: Replay): Promise<void> {
    const tps = [this.tpOf(this.topic, r.partition)];
    if (this.replayLabels) tps.push(this.tpOf(this.labelsTopic!, r.partition));
    const parts: ReplayPart[] = [];
    for (const tp of tps) {
      const s = this.tps[tp]!;
      const to = tp === r.trigger.tp ? r.trigger.offset : await this.groupCommitted(s.topic, s.partition);
      if (this.replay !== r || r.finished) return;
      if (to > s.applied) {
        parts.push({ tp, to, queue: [], head: 0, done: false, paused: false, consumer: undefined, stream: undefined, wake: undefined });
      }
    }
    r.parts = parts;
    await Promise.all(parts.map((p) => this.readPart(r, p, r.trigger.timestampMs)));
    if (this.replay !== r || r.finished) return;
    // Written (and the partitions' applied offsets raised) by the drain once the queues are empty.
    r.finished = true;
    this.scheduleDrain(0);
  }

  /** The group's committed offset of one partition (-1 when none). */
  private async groupCommitted(topic: string, partition: number): Promise<number> {
    const consumer = this.consumer;
    if (consumer === undefined) return -1;
    const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: [partition] }] });
    const o = committed.get(topic)?.[partition];
    return o === undefined || o < 0n ? -1 : Number(o);
  }

  /**
   * Reads part `p` from max(applied here, the partition's earliest offset, the offset of time `timestampMs -
   * replayWindowMs`) up to `p.to` with a consumer of its own (a one-off group that commits nothing, assigned only
   * this partition, offsets given by hand) into `p.queue`; resolves once it is read (or the replay was closed).
   */
  private async readPart(r: Replay, p: ReplayPart, timestampMs: number): Promise<void> {
    const s = this.tps[p.tp]!;
    const { topic, partition } = s;
    const consumer = new Consumer({
      clientId: `${this.clientId}-replay`,
      groupId: `${this.group}.replay.${randomUUID()}`,
      bootstrapBrokers: this.brokers,
      autocommit: false,
      maxWaitTime: 200,
      highWaterMark: 1024,
      retries: 5,
      partitionAssigner: onePartition(topic, partition),
    });
    p.consumer = consumer;
    let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
    try {
      const at = async (timestamp: bigint): Promise<number> => {
        const offsets = await consumer.listOffsets({ topics: [topic], partitions: { [topic]: [partition] }, timestamp });
        const o = offsets.get(topic)?.[partition];
        return o === undefined ? -1 : Number(o);
      };
      const earliest = await at(-2n);
      const byTime = await at(BigInt(Math.max(0, timestampMs - this.replayWindowMs)));
      // No message at or after that time below `to` (timestamps out of order): nothing to replay.
      const from = byTime < 0 ? p.to : Math.max(s.applied, earliest, byTime);
      if (from >= p.to || this.replay !== r || r.finished) return;
      stream = await consumer.consume({
        topics: [topic],
        mode: 'manual',
        offsets: [{ topic, partition, offset: BigInt(from) }],
        autocommit: false,
      });
      p.stream = stream;
      const st = stream;
      await new Promise<void>((resolve, reject) => {
        p.wake = resolve;
        st.on('data', (m: KafkaMessage) => {
          if (p.done || r.finished || m.partition !== partition) return;
          const offset = Number(m.offset);
          if (offset < p.to) p.queue.push(m);
          if (offset >= p.to - 1) {
            p.done = true;
            resolve();
          } else if (p.queue.length - p.head >= this.maxStaged && !p.paused) {
            p.paused = true;
            st.pause();
          }
          this.scheduleDrain(0);
        });
        st.on('error', reject);
      });
    } finally {
      p.done = true;
      p.wake = undefined;
      p.stream = undefined;
      p.consumer = undefined;
      // Closed in the background: the other part (or the live messages) need not wait for the group leave.
      void (async () => {
        await stream?.close().catch(() => {});
        await consumer.close().catch(() => {});
      })();
      this.scheduleDrain(0);
    }
  }

  private async closeReplay(): Promise<void> {
    const r = this.replay;
    if (r === undefined) return;
    r.finished = true;
    await Promise.all(
      (r.parts ?? []).map(async (p) => {
        p.wake?.();
        await p.stream?.close().catch(() => {});
        await p.consumer?.close().catch(() => {});
      }),
    );
  }

  /**
   * Writes transaction `tx` into ring slot `slot` (ring sequence `seq`), live or replayed: the record, its id, its
   * card (the decision's key) and its entry in the label index. A broker-fed transaction has no pacing schedule: it
   * is due when it is written.
   */
  private writeTransactionAt(slot: number, seq: number, tx: Transaction, ingestMs: number): void {
    const views = this.sink.views;
    views.writeTransaction(slot, tx, ingestMs);
    this.sink.dueMs[slot] = ingestMs;
    if (Number.isNaN(views.txNum(slot))) this.sink.setId(slot, tx.id);
    this.slotTxId[slot] = tx.id;
    this.index.remember(tx.id, seq, tx.timestampMs, views, slot);
    this.slotCard[slot] = tx.cardId;
    this.generated++;
  }

  /**
   * Writes the label of transaction `id` into ring slot `slot`, live or replayed, as a label record carrying the
   * labelled transaction's keys from the label index; false (counted in `unknownLabels`, nothing written) when the
   * transaction is not there.
   */
  private writeLabelAt(slot: number, id: string, fraud: boolean, ingestMs: number): boolean {
    if (!this.index.writeLabel(id, fraud, this.sink.views, slot, ingestMs)) {
      this.unknownLabels++;
      return false;
    }
    this.slotCard[slot] = undefined;
    this.slotTxId[slot] = undefined;
    this.labelsEmitted++;
    return true;
  }

  /**
   * The part whose next message is to be written: the one whose head is oldest by Kafka timestamp (the first part,
   * transactions, on a tie); `null` while a part that is still reading has nothing queued (a message older than the
   * others' heads may come), `undefined` when every part is read and written.
   */
  private nextReplayPart(r: Replay): ReplayPart | null | undefined {
    let best: ReplayPart | undefined;
    let bestTs = Infinity;
    for (const p of r.parts!) {
      if (p.head < p.queue.length) {
        const ts = Number(p.queue[p.head]!.timestamp);
        if (best === undefined || ts < bestTs) {
          best = p;
          bestTs = ts;
        }
      } else if (!p.done) {
        return null;
      }
    }
    return best;
  }

  /**
   * Writes queued replay messages into the sink as replay records, merged by Kafka timestamp: transactions (a
   * message that fails validation was dead-lettered by its first owner and is skipped) and labels, each carrying its
   * transaction's keys from the label index (a label whose transaction is not there, e.g. older than the replay
   * window, counts as unknown). Returns true once the replay is complete (then live messages go on), false while it
   * waits for the sink or for messages.
   */
  private writeReplay(r: Replay): boolean {
    if (r.parts === undefined) return false;
    const sink = this.sink;
    let next = this.nextReplayPart(r);
    while (next !== null && next !== undefined) {
      const k = sink.claim(Math.min(r.parts.reduce((n, q) => n + q.queue.length - q.head, 0), CHUNK));
      if (k === 0) {
        this.backpressureWaits++;
        this.scheduleDrain(BACKPRESSURE_RETRY_MS);
        return false;
      }
      const slot0 = sink.claimedSlot;
      const seq0 = sink.claimedSeq;
      const ingestMs = performance.timeOrigin + performance.now();
      let filled = 0;
      while (filled < k && next !== null && next !== undefined) {
        const p = next;
        const m = p.queue[p.head]!;
        p.queue[p.head++] = undefined;
        next = this.nextReplayPart(r);
        const s = this.tps[p.tp]!;
        const offset = Number(m.offset);
        if (offset < s.applied) continue;
        s.applied = offset + 1;
        const slot = slot0 + filled;
        if (m.topic === this.topic) {
          const parsed = parseValue(m.value, parseTransactionJson);
          if (!parsed.ok) continue;
          this.writeTransactionAt(slot, seq0 + filled, parsed.value, ingestMs);
          this.replayed++;
        } else {
          const parsed = parseValue(m.value, parseLabelJson);
          if (!parsed.ok) continue;
          if (!this.writeLabelAt(slot, parsed.value.id, parsed.value.fraud, ingestMs)) continue;
          this.replayedLabels++;
        }
        this.slotTp[slot] = p.tp;
        this.slotOffset[slot] = offset;
        this.slotReplay[slot] = 1;
        filled++;
      }
      sink.publish(filled);
    }
    for (const p of r.parts) {
      const queue = compactQueue(p.queue, p.head);
      if (queue !== p.queue) {
        p.queue = queue;
        p.head = 0;
      }
      if (p.paused && !p.done && p.queue.length - p.head <= this.maxStaged / 2) {
        p.paused = false;
        p.stream?.resume();
      }
    }
    if (next === null || !r.finished) return false;
    // Everything below each part's end is applied now (replayed here or, below the replay's start, outside the
    // windows), and so is everything below the trigger.
    for (const p of r.parts) {
      const s = this.tps[p.tp]!;
      if (s.applied < p.to) s.applied = p.to;
    }
    const t = this.tps[r.trigger.tp]!;
    if (t.applied < r.trigger.offset) t.applied = r.trigger.offset;
    this.replay = undefined;
    return true;
  }

  /** Sends rejected messages to the dead-letter topic (one produce request), counts them and tells the sink. */
  private deadLetter(dead: { message: KafkaMessage; error: ValidationError }[]): void {
    for (const { error } of dead) {
      this.rejections.add(error);
      this.sink.reject(error);
    }
    const producer = this.dlq!;
    const messages = dead.map(({ message: m, error }) => {
      const key = m.key === undefined || m.key === null || m.key.length === 0 ? undefined : m.key;
      const record = {
        reason: error.message,
        code: error.code,
        field: error.field,
        topic: m.topic,
        partition: m.partition,
        offset: String(m.offset),
        value: m.value === undefined || m.value === null ? null : m.value.toString('utf8', 0, DLQ_VALUE_CHARS),
      };
      return { topic: this.deadLetterTopic, key, value: Buffer.from(JSON.stringify(record)) };
    });
    const p: Promise<void> = producer.send(messages).then(
      () => {
        this.deadLettered += messages.length;
        this.pendingDlq.delete(p);
      },
      (err: unknown) => {
        this.pendingDlq.delete(p);
        this.fail(err);
      },
    );
    this.pendingDlq.add(p);
  }
}

/** Parses a message value with a bound on its size; a missing value is an error on `$`. */
function parseValue<T>(value: Buffer | undefined | null, parse: (text: string) => Validated<T>): Validated<T> {
  if (value === undefined || value === null || value.length === 0) {
    return { ok: false, error: { code: 'missing', field: '$', message: 'the message has no value' } };
  }
  if (value.length > Limits.maxJsonBytes) {
    return { ok: false, error: { code: 'too_long', field: '$', message: `a message must be at most ${Limits.maxJsonBytes} bytes` } };
  }
  return parse(value.toString('utf8'));
}

function parseLabelJson(text: string): Validated<{ id: string; fraud: boolean }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: { code: 'malformed', field: '$', message: 'the document is not valid JSON' } };
  }
  return validateLabel(parsed);
}
