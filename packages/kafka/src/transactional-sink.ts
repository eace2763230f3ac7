import { Producer } from '@platformatic/kafka';
import { type DecidedRecord, type DecisionSinkStats, decisionMessages, MAX_DECISIONS_PER_SEND } from './decision-sink.js';
import { brokerList, integerOption, KafkaOptionsRangeError, KafkaOptionsTypeError, stringOption, topicName } from './errors.js';
import type { OutMessage } from './serial-producer.js';
import { DEFAULT_TOPICS } from './topics.js';

/** Options of {@link TransactionalDecisionSink}. */
export interface TransactionalDecisionSinkOptions {
  /** Bootstrap brokers: `HOST:PORT`, a comma-separated list or an array. */
  brokers: string | string[];
  /**
   * The transactional id: stable across restarts of one instance (its successor fences and aborts what it left
   * open) and different between instances.
   */
  transactionalId: string;
  /** Every decision (default `fraud-decisions`). */
  decisionsTopic?: string;
  /** REVIEW and DECLINE decisions (default `fraud-alerts`). */
  alertsTopic?: string;
  /** Client id (default `fraudstream-decisions`). */
  clientId?: string;
  /**
   * Transaction timeout, ms (default 60,000; at most the broker's `transaction.max.timeout.ms`, 15 min by default):
   * the broker aborts a transaction open longer than this, so it must exceed the checkpoint interval.
   */
  transactionTimeoutMs?: number;
}

/** The consumer-group member whose offsets a transaction commits (KIP-447: the broker fences a stale generation). */
export interface GroupMember {
  groupId: string;
  generationId: number;
  memberId: string;
  /** Node id of the group coordinator. */
  coordinatorId: number;
}

/** What a transaction commits besides its messages: input offsets (next offset to read) of one group member. */
export interface TransactionOffsets {
  member: GroupMember;
  offsets: readonly { topic: string; partition: number; offset: number }[];
}

/** Counters of a {@link TransactionalDecisionSink}. */
export interface TransactionalSinkStats extends DecisionSinkStats {
  /** Transactions committed, and aborted (a failure; the sink is failed after one). */
  committed: number;
  aborted: number;
  /** Produce requests made. */
  requests: number;
  /** Why the sink failed (it accepts nothing after). */
  error?: string;
}

type Transaction = Awaited<ReturnType<Producer<Buffer, Buffer, Buffer, Buffer>['beginTransaction']>>;

/** Most key + value bytes in one produce request (as the serial producer). */
const MAX_REQUEST_BYTES = 768 * 1024;

interface SendItem {
  kind: 'send';
  messages: OutMessage[];
  decisions: number;
  alerts: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface CutItem {
  kind: 'cut';
  offsets: Promise<TransactionOffsets | null>;
  resolve: (committed: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * The exactly-once decision output: like {@link KafkaDecisionSink} (same topics, keys and values), but every message
 * goes into a Kafka transaction of a transactional producer, one request in flight. A transaction spans the
 * decisions between two cuts: {@link cut} marks a point of the output stream (a checkpoint barrier); when the sends
 * queued before it are acknowledged, the flush waits for the cut's offsets (the checkpoint's applied offsets, once
 * its snapshot is written), adds them to the transaction for the consumer group (TxnOffsetCommit with the member's
 * generation: a member that lost its partitions in a rebalance is fenced by the broker) and commits. Sends queued
 * after the cut wait and go into the next transaction. A read_committed consumer sees a transaction's decisions
 * only with its offsets committed: a crash between two cuts leaves an open transaction that the successor with
 * the same transactional id aborts ({@link begin} fences it), and the input is read again from the committed
 * offsets, so each decision is visible exactly once.
 *
 * Any failure of a transactional request fails the sink: the open transaction is aborted (when the broker still
 * accepts it), every pending and later call rejects, and `onFatal` is told: the instance must restart from its last
 * complete checkpoint.
 */
export class TransactionalDecisionSink {
  readonly decisionsTopic: string;
  readonly alertsTopic: string;
  readonly transactionalId: string;
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private readonly queue: (SendItem | CutItem)[] = [];
  private busy = false;
  private txn: Transaction | undefined;
  /** Whether the open transaction holds messages (the broker refuses to end a transaction that holds nothing). */
  private txnHasWork = false;
  private failure: Error | undefined;
  private closed = false;
  private produced = 0;
  private alerts = 0;
  private inFlight = 0;
  private failedSends = 0;
  private committed = 0;
  private aborted = 0;
  private requests = 0;
  /** Called once when the sink fails. */
  onFatal: ((error: Error) => void) | undefined;

  constructor(options: TransactionalDecisionSinkOptions) {
    if (typeof options !== 'object' || options === null) throw new KafkaOptionsTypeError('options must be an object');
    const brokers = brokerList(options.brokers, 'options.brokers');
    this.transactionalId = stringOption(options.transactionalId, 'options.transactionalId');
    this.decisionsTopic = topicName(options.decisionsTopic ?? DEFAULT_TOPICS.decisions, 'options.decisionsTopic');
    this.alertsTopic = topicName(options.alertsTopic ?? DEFAULT_TOPICS.alerts, 'options.alertsTopic');
    const clientId = stringOption(options.clientId ?? 'fraudstream-decisions', 'options.clientId');
    const timeout = integerOption(options.transactionTimeoutMs ?? 60_000, 'options.transactionTimeoutMs', 1000, 900_000);
    // The client sends its request timeout as the transaction timeout of InitProducerId.
    this.producer = new Producer({ clientId, bootstrapBrokers: brokers, idempotent: true, transactionalId: this.transactionalId, timeout, retries: 5 });
  }

  /**
   * Registers the transactional id with the broker (InitProducerId): a transaction a previous holder of the id left
   * open is aborted and that holder is fenced. Call once before the first send; resolves when done.
   */
  async begin(): Promise<void> {
    this.check();
    if (this.txn !== undefined) return;
    try {
      this.txn = await this.newTransaction();
    } catch (err) {
      throw await this.fail(err);
    }
  }

  /** Produces `decisions` (and their alerts) in the open transaction; resolves when the broker acknowledged them. */
  send(decisions: readonly DecidedRecord[]): Promise<void> {
    this.check();
    if (!Array.isArray(decisions)) throw new KafkaOptionsTypeError('decisions must be an array');
    if (decisions.length > MAX_DECISIONS_PER_SEND) {
      throw new KafkaOptionsRangeError(`decisions must hold at most ${MAX_DECISIONS_PER_SEND} records per send`);
    }
    if (decisions.length === 0) return Promise.resolve();
    const { messages, alerts } = decisionMessages(decisions, this.decisionsTopic, this.alertsTopic);
    this.inFlight += decisions.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'send', messages, decisions: decisions.length, alerts, resolve, reject });
      if (!this.busy) void this.flush();
    });
  }

  /**
   * Cuts the output here: the sends queued so far end the open transaction, which commits with `offsets` once they
   * resolve (null: no commit now, the transaction stays open and the next cut commits it). Resolves true when the
   * transaction committed, false when there was nothing to commit or `offsets` was null; rejects (and the sink
   * fails) when the commit failed.
   */
  cut(offsets: Promise<TransactionOffsets | null>): Promise<boolean> {
    this.check();
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ kind: 'cut', offsets, resolve, reject });
      if (!this.busy) void this.flush();
    });
  }

  /**
   * Fails the sink with `reason` and aborts the open transaction (its decisions are never visible to read_committed
   * consumers); `onFatal` is told. For a transaction that must not commit, e.g. one holding decisions of a partition
   * this instance no longer owns.
   */
  async abort(reason: Error): Promise<void> {
    await this.fail(reason);
  }

  /** Current counters. */
  stats(): TransactionalSinkStats {
    return {
      produced: this.produced,
      alerts: this.alerts,
      inFlight: this.inFlight,
      failedSends: this.failedSends,
      committed: this.committed,
      aborted: this.aborted,
      requests: this.requests,
      ...(this.failure === undefined ? {} : { error: this.failure.message }),
    };
  }

  /**
   * Waits for the queued work, then closes the producer. A transaction still open (decisions after the last cut) is
   * left to the broker: the next holder of the transactional id aborts it, so those decisions are never visible.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.busy) await new Promise((r) => setTimeout(r, 5));
    await this.producer.close().catch(() => undefined);
  }

  private check(): void {
    if (this.failure !== undefined) throw new Error(`the transactional decision sink failed: ${this.failure.message}`);
    if (this.closed) throw new Error('the decision sink is closed');
  }

  /**
   * Begins a transaction. The first one registers the id (InitProducerId) as a new producer: producer id and epoch -1
   * (the client's default, 0/0, is answered PRODUCER_FENCED once the id has had a producer: a restart could never
   * take its id back); the broker then bumps the epoch, fencing the previous holder and aborting its open transaction.
   */
  private newTransaction(): Promise<Transaction> {
    return this.producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
  }

  private async flush(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && this.failure === undefined) {
        const head = this.queue[0]!;
        if (head.kind === 'cut') {
          this.queue.shift();
          await this.commitAt(head);
          continue;
        }
        // Consecutive sends up to the next cut and the byte bound go in one request.
        const batch: SendItem[] = [];
        let bytes = 0;
        while (this.queue.length > 0 && this.queue[0]!.kind === 'send') {
          const item = this.queue[0] as SendItem;
          const size = item.messages.reduce((n, m) => n + m.value.length + (m.key?.length ?? 0), 0);
          if (batch.length > 0 && bytes + size > MAX_REQUEST_BYTES) break;
          bytes += size;
          batch.push(item);
          this.queue.shift();
        }
        try {
          this.txn ??= await this.newTransaction();
          this.requests++;
          this.txnHasWork = true;
          await this.txn.send({ messages: batch.flatMap((b) => b.messages) });
        } catch (err) {
          const aborted = this.fail(err);
          this.failedSends += batch.length;
          for (const b of batch) {
            this.inFlight -= b.decisions;
            b.reject(err);
          }
          await aborted;
          break;
        }
        for (const b of batch) {
          this.inFlight -= b.decisions;
          this.produced += b.decisions;
          this.alerts += b.alerts;
          b.resolve();
        }
      }
    } finally {
      if (this.failure !== undefined) {
        for (const item of this.queue.splice(0)) {
          if (item.kind === 'send') this.inFlight -= item.decisions;
          item.reject(this.failure);
        }
      }
      this.busy = false;
    }
  }

  private async commitAt(cut: CutItem): Promise<void> {
    let offsets: TransactionOffsets | null;
    try {
      offsets = await cut.offsets;
    } catch {
      offsets = null;
    }
    if (offsets === null || (!this.txnHasWork && offsets.offsets.length === 0)) {
      cut.resolve(false);
      return;
    }
    try {
      const txn = (this.txn ??= await this.newTransaction());
      const { member } = offsets;
      if (offsets.offsets.length > 0) {
        // Transaction.addConsumer needs only the group id; addOffset reads the member from the message's metadata and
        // commits offset + 1.
        await txn.addConsumer({ groupId: member.groupId } as never);
        for (const o of offsets.offsets) {
          await txn.addOffset({
            topic: o.topic,
            partition: o.partition,
            offset: BigInt(o.offset - 1),
            metadata: { consumer: { ...member } },
          } as never);
        }
      }
      await txn.commit();
      this.txn = undefined;
      this.txnHasWork = false;
      this.committed++;
      cut.resolve(true);
    } catch (err) {
      const aborted = this.fail(err);
      cut.reject(err);
      await aborted;
    }
  }

  /** Fails the sink (from now on every call rejects), tells `onFatal`, then aborts the open transaction if the broker still takes it. */
  private async fail(err: unknown): Promise<Error> {
    if (this.failure !== undefined) return this.failure;
    const failure = err instanceof Error ? err : new Error(String(err));
    this.failure = failure;
    this.onFatal?.(failure);
    const txn = this.txn;
    this.txn = undefined;
    if (txn !== undefined && !txn.completed) {
      this.aborted++;
      await txn.abort().catch(() => undefined);
    }
    return failure;
  }
}
